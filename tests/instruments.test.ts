import { describe, expect, it } from 'vitest';
import { drums, GM_DRUMS, synth } from '../src/instruments/index.ts';
import { midiToFrequency } from '../src/theory/pitch.ts';
import { bandEnergy, firstNonSilent, peak, peakFrequency, rmsDb, spectrum } from './helpers/audio.ts';
import { RATE, render } from './helpers/instrument.ts';

describe('synth', () => {
  for (const wave of ['saw', 'square', 'triangle', 'sine'] as const) {
    it(`plays ${wave} notes at their equal-tempered pitch`, () => {
      for (const pitch of [69, 48, 76]) {
        const [left] = render(synth, { wave, filter: { cutoff: 12000, envAmount: 0 } }, [{ pitch, length: 2 * RATE }], 2);
        const expected = midiToFrequency(pitch);
        const measured = peakFrequency(left, RATE, 4800, 65536, expected * 0.7, expected * 1.3);
        expect(Math.abs(measured - expected), `${wave} ${pitch}: ${measured} Hz`).toBeLessThan(1);
      }
    });
  }

  it('renders A4 at 440 Hz ± 1 Hz with the default options', () => {
    const [left] = render(synth, {}, [{ pitch: 69, length: 2 * RATE }], 2);
    expect(Math.abs(peakFrequency(left, RATE, 4800, 65536, 100, 2000) - 440)).toBeLessThan(1);
  });

  it('keeps aliasing of a high saw note 38 dB under the fundamental below 16 kHz, 30 dB anywhere', () => {
    // MIDI 100 ≈ 2637 Hz: its harmonics above 24 kHz fold back unless band-limited.
    const [left] = render(synth, { wave: 'saw', filter: { cutoff: 20000, envAmount: 0, keyTrack: 0 } }, [{ pitch: 100, length: 2 * RATE }], 2);
    const size = 65536;
    const magnitudes = spectrum(left, 4800, size);
    const f0 = midiToFrequency(100);
    const binHz = RATE / size;
    let fundamental = 0;
    let worstAudible = 0;
    let worstAlias = 0;
    for (let i = 1; i < magnitudes.length; i++) {
      const frequency = i * binHz;
      const harmonic = frequency / f0;
      const nearHarmonic = Math.abs(harmonic - Math.round(harmonic)) * f0 < 40;
      if (Math.abs(frequency - f0) < 40) fundamental = Math.max(fundamental, magnitudes[i]);
      else if (!nearHarmonic) {
        worstAlias = Math.max(worstAlias, magnitudes[i]);
        if (frequency < 16000) worstAudible = Math.max(worstAudible, magnitudes[i]);
      }
    }
    // Measured here with 2-point polyBLEP: -40 dB below 16 kHz, -33 dB at 19 kHz.
    // A naive (aliasing) saw measures about -15 dB.
    expect(20 * Math.log10(worstAudible / fundamental)).toBeLessThan(-38);
    expect(20 * Math.log10(worstAlias / fundamental)).toBeLessThan(-30);
  });

  it('starts a note at exactly its start sample and is silent before it and after its release', () => {
    const start = 12345;
    const length = 4800;
    const output = render(synth, { wave: 'saw', envelope: { release: 0.05 } }, [{ pitch: 57, start, length }], 1);
    const [left] = output;
    expect(firstNonSilent(left)).toBe(start + 1); // the attack starts from exactly zero
    expect(peak(left, 0, start + 1)).toBe(0);
    const releaseEnd = start + length + Math.round(0.05 * RATE);
    expect(peak(left, releaseEnd)).toBe(0);
    expect(peak(left, releaseEnd - 200, releaseEnd)).toBeGreaterThan(0);
    expect(output).toHaveLength(1); // mono: the track's pan places it
  });

  it('gets louder with velocity', () => {
    const levels = [30, 80, 127].map((velocity) => {
      const [left] = render(synth, {}, [{ pitch: 60, velocity, length: RATE / 2 }], 1);
      return rmsDb(left, 0, RATE / 2);
    });
    expect(levels[1] - levels[0]).toBeGreaterThan(3);
    expect(levels[2] - levels[1]).toBeGreaterThan(3);
  });

  it('ignores velocity when velocitySensitivity is 0', () => {
    const soft = render(synth, { velocitySensitivity: 0 }, [{ pitch: 60, velocity: 20, length: RATE / 4 }], 0.5)[0];
    const hard = render(synth, { velocitySensitivity: 0 }, [{ pitch: 60, velocity: 127, length: RATE / 4 }], 0.5)[0];
    expect(Array.from(soft)).toEqual(Array.from(hard));
  });

  it('removes high frequencies as the cutoff falls', () => {
    const size = 32768;
    const bright = spectrum(render(synth, { filter: { cutoff: 8000, envAmount: 0 } }, [{ pitch: 45, length: RATE }], 1)[0], 4800, size);
    const dark = spectrum(render(synth, { filter: { cutoff: 400, envAmount: 0 } }, [{ pitch: 45, length: RATE }], 1)[0], 4800, size);
    const highBright = bandEnergy(bright, RATE, size, 3000, 12000);
    const highDark = bandEnergy(dark, RATE, size, 3000, 12000);
    expect(10 * Math.log10(highBright / highDark)).toBeGreaterThan(30);
  });

  it('holds the sustain level and releases to zero in the release time', () => {
    const [left] = render(synth, { wave: 'sine', filter: { cutoff: 15000, envAmount: 0 }, envelope: { attack: 0.01, decay: 0.05, sustain: 0.5, release: 0.1 } }, [{ pitch: 69, length: RATE / 2 }], 1);
    const sustained = peak(left, RATE / 4, RATE / 4 + 480);
    const early = peak(left, Math.round(0.011 * RATE), Math.round(0.011 * RATE) + 120);
    expect(sustained / early).toBeCloseTo(0.5, 1);
    const end = RATE / 2 + Math.round(0.1 * RATE);
    expect(peak(left, end)).toBe(0);
    expect(peak(left, end - 960, end)).toBeGreaterThan(0);
  });

  it('finishes a voice whose filter envelope ends before its amplifier (short filter release)', () => {
    // The voice loop splits blocks at both envelopes' corners; a finished filter envelope
    // must not yield a zero-length block (that loop never ended on the demo song).
    const [left] = render(synth, { envelope: { release: 0.5 }, filterEnvelope: { release: 0.01 } }, [{ pitch: 57, length: RATE / 10 }], 1);
    expect(rmsDb(left.subarray(Math.round(0.15 * RATE), Math.round(0.3 * RATE)))).toBeGreaterThan(-60);
    expect(peak(left.subarray(Math.round(0.61 * RATE)))).toBe(0);
  });

  it('is deterministic', () => {
    const notes = [{ pitch: 60 }, { pitch: 64, start: 1000 }, { pitch: 67, start: 2000 }];
    expect(Array.from(render(synth, {}, notes, 1)[0])).toEqual(Array.from(render(synth, {}, notes, 1)[0]));
  });

  it('rejects a waveform it does not have', () => {
    expect(synth.definition.validate!({ ...synth().options, wave: 'noise' as never })).toEqual(["wave must be one of saw, square, triangle, sine, got 'noise'"]);
  });
});

describe('drums', () => {
  const size = 16384;

  it('puts the kick below 150 Hz, ending near its tuning', () => {
    const [left] = render(drums, {}, [{ pitch: GM_DRUMS.kick }], 1);
    const magnitudes = spectrum(left, 0, size);
    expect(bandEnergy(magnitudes, RATE, size, 20, 150) / bandEnergy(magnitudes, RATE, size, 150, 24000)).toBeGreaterThan(10);
    const tail = peakFrequency(left, RATE, Math.round(0.15 * RATE), 8192, 20, 200);
    expect(Math.abs(tail - 48)).toBeLessThan(6);
  });

  it('puts the hats above 5 kHz', () => {
    for (const pitch of [GM_DRUMS.closedHat, GM_DRUMS.openHat]) {
      const [left] = render(drums, {}, [{ pitch }], 1);
      const magnitudes = spectrum(left, 0, size);
      expect(bandEnergy(magnitudes, RATE, size, 5000, 24000) / bandEnergy(magnitudes, RATE, size, 20, 5000), `note ${pitch}`).toBeGreaterThan(10);
    }
  });

  it('renders snare and clap, and nothing for unmapped notes', () => {
    for (const pitch of [GM_DRUMS.snare, GM_DRUMS.clap]) expect(rmsDb(render(drums, {}, [{ pitch }], 0.5)[0])).toBeGreaterThan(-40);
    expect(peak(render(drums, {}, [{ pitch: 81 }], 0.5)[0])).toBe(0);
  });

  it('starts each hit at its sample and stops at its decay', () => {
    const start = 4800;
    const [left] = render(drums, { kick: { decay: 0.2 } }, [{ pitch: GM_DRUMS.kick, start }], 1);
    expect(firstNonSilent(left)).toBe(start);
    expect(peak(left, start + Math.round(0.2 * RATE))).toBe(0);
  });

  it('chokes a ringing open hat when a closed hat plays', () => {
    const open = render(drums, {}, [{ pitch: GM_DRUMS.openHat }], 1)[0];
    const choked = render(drums, {}, [{ pitch: GM_DRUMS.openHat }, { pitch: GM_DRUMS.closedHat, start: 4800, velocity: 1 }], 1)[0];
    // After the closed hat's own short decay, the open hat has been cut.
    const after = Math.round(0.2 * RATE);
    expect(rmsDb(open, after, after + 4800)).toBeGreaterThan(-60);
    expect(peak(choked, after)).toBe(0);
  });

  it('repeats its noise for a seed and changes it for another seed', () => {
    const a = render(drums, {}, [{ pitch: GM_DRUMS.snare }], 0.3, { seed: 5 })[0];
    const b = render(drums, {}, [{ pitch: GM_DRUMS.snare }], 0.3, { seed: 5 })[0];
    const c = render(drums, {}, [{ pitch: GM_DRUMS.snare }], 0.3, { seed: 6 })[0];
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('gets louder with velocity', () => {
    const soft = rmsDb(render(drums, {}, [{ pitch: GM_DRUMS.kick, velocity: 40 }], 0.5)[0]);
    const hard = rmsDb(render(drums, {}, [{ pitch: GM_DRUMS.kick, velocity: 120 }], 0.5)[0]);
    expect(hard - soft).toBeGreaterThan(6);
  });
});
