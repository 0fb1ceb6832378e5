import { describe, expect, it } from 'vitest';
import { drums, fm, GM_DRUMS, hitSeconds, monoSynth, noise, pluck, synth } from '../src/instruments/index.ts';
import { midiToFrequency } from '../src/theory/pitch.ts';
import { bandEnergy, peak, peakFrequency, spectrum } from './helpers/audio.ts';
import { RATE, render } from './helpers/instrument.ts';

const cents = (measured: number, expected: number) => 1200 * Math.log2(measured / expected);

/** Amplitude of the sinusoid at exactly `frequency` in [from, from + size), Hann-weighted (no scalloping). */
function toneAmplitude(signal: Float32Array, from: number, size: number, frequency: number): number {
  let re = 0;
  let im = 0;
  let weight = 0;
  const w = (2 * Math.PI * frequency) / RATE;
  for (let i = 0; i < size; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1));
    const x = signal[from + i] * hann;
    re += x * Math.cos(w * i);
    im -= x * Math.sin(w * i);
    weight += hann;
  }
  return (2 * Math.hypot(re, im)) / weight;
}

/** Frequency from each rising zero crossing to the next (linear interpolation), with its time. */
function pitchTrack(signal: Float32Array, from: number, to: number): { time: number; frequency: number }[] {
  const crossings: number[] = [];
  for (let i = Math.max(1, from); i < to; i++) {
    if (signal[i - 1] < 0 && signal[i] >= 0) crossings.push(i - 1 + signal[i - 1] / (signal[i - 1] - signal[i]));
  }
  const track: { time: number; frequency: number }[] = [];
  for (let k = 1; k < crossings.length; k++) track.push({ time: (crossings[k] + crossings[k - 1]) / 2 / RATE, frequency: RATE / (crossings[k] - crossings[k - 1]) });
  return track;
}

/** The track's frequency at `time`, interpolated linearly between its points. */
function pitchAt(track: { time: number; frequency: number }[], time: number): number {
  const after = track.findIndex((point) => point.time >= time);
  if (after <= 0) return track[Math.max(0, after)].frequency;
  const a = track[after - 1];
  const b = track[after];
  return a.frequency + ((b.frequency - a.frequency) * (time - a.time)) / (b.time - a.time);
}

/** Peak level of each `window`-sample stretch of [from, to). */
function amplitudeTrack(signal: Float32Array, from: number, to: number, window: number): number[] {
  const levels: number[] = [];
  for (let i = from; i + window <= to; i += window) levels.push(peak(signal, i, i + window));
  return levels;
}

const SUSTAIN = { attack: 0.005, decay: 0.05, sustain: 1, release: 0.05 };

describe('pitch of every tonal instrument', () => {
  const instruments: [string, (pitch: number) => Float32Array][] = [
    ['synth saw', (pitch) => render(synth, { filter: { cutoff: 12000, envAmount: 0 } }, [{ pitch, length: 2 * RATE }], 2)[0]],
    ['synth + vibrato', (pitch) => render(synth, { lfo: { target: 'pitch', depth: 5, rate: 0.1 }, filter: { cutoff: 12000, envAmount: 0 } }, [{ pitch, length: 2 * RATE }], 2)[0]],
    ['monoSynth', (pitch) => render(monoSynth, { filter: { cutoff: 12000, envAmount: 0 } }, [{ pitch, length: 2 * RATE }], 2)[0]],
    ['fm (default, 1:1 stack)', (pitch) => render(fm, {}, [{ pitch, length: 2 * RATE }], 2)[0]],
    ['fm (3.5 modulator)', (pitch) => render(fm, { operators: [{ ratio: 1, level: 1, envelope: SUSTAIN }, { ratio: 3.5, level: 0.8, envelope: SUSTAIN }] }, [{ pitch, length: 2 * RATE }], 2)[0]],
    ['pluck', (pitch) => render(pluck, { decay: 3 }, [{ pitch, length: 2 * RATE }], 2)[0]],
  ];
  for (const [name, play] of instruments) {
    it(`${name} sounds at the note's equal-tempered pitch (33, 57, 69, 84) within 2 cents`, () => {
      for (const pitch of [33, 57, 69, 84]) {
        const expected = midiToFrequency(pitch);
        const measured = peakFrequency(play(pitch), RATE, 4800, 65536, expected * 0.8, expected * 1.2);
        expect(Math.abs(cents(measured, expected)), `${name} ${pitch}: ${measured} Hz, expected ${expected}`).toBeLessThan(2);
      }
    });
  }
});

describe('synth unison and LFO', () => {
  it('spreads unison energy around the pitch but keeps it centred there', () => {
    const size = 131072;
    const options = { wave: 'sine', filter: { cutoff: 15000, envAmount: 0 }, envelope: SUSTAIN } as const;
    const moments = (unison: number) => {
      const [left] = render(synth, { ...options, unison, unisonDetune: 24 }, [{ pitch: 69, length: 3 * RATE }], 3);
      const magnitudes = spectrum(left, 4800, size);
      const binHz = RATE / size;
      let energy = 0;
      let first = 0;
      let second = 0;
      for (let i = Math.floor(midiToFrequency(68.5) / binHz); i <= Math.ceil(midiToFrequency(69.5) / binHz); i++) {
        const e = magnitudes[i] ** 2;
        const c = cents(i * binHz, 440);
        energy += e;
        first += e * c;
        second += e * c * c;
      }
      const centre = first / energy;
      return { centre, spread: Math.sqrt(second / energy - centre * centre) };
    };
    const single = moments(1);
    const five = moments(5);
    expect(Math.abs(five.centre)).toBeLessThan(1);
    // Five voices evenly over 24 cents: ±12 cents, an RMS spread of ~8.5 cents.
    expect(five.spread).toBeGreaterThan(6);
    expect(five.spread).toBeGreaterThan(2.5 * single.spread);
  });

  it('draws unison phases from the seed: same seed same bits, another seed other bits', () => {
    const notes = [{ pitch: 57 }, { pitch: 64 }];
    const a = render(synth, { unison: 4 }, notes, 1, { seed: 5 })[0];
    const b = render(synth, { unison: 4 }, notes, 1, { seed: 5 })[0];
    const c = render(synth, { unison: 4 }, notes, 1, { seed: 6 })[0];
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('vibrato swings the pitch by the LFO depth in cents, at the synced rate', () => {
    // '8n' at 120 bpm (0.5 s a quarter) is a 0.25 s cycle.
    const [left] = render(synth, { wave: 'sine', filter: { cutoff: 15000, envAmount: 0 }, envelope: SUSTAIN, lfo: { target: 'pitch', depth: 50, rate: '8n' } }, [{ pitch: 69, length: 2 * RATE }], 2, { beatSeconds: 0.5 });
    const track = pitchTrack(left, RATE / 4, Math.round(1.75 * RATE));
    const swings = track.map((point) => cents(point.frequency, 440));
    expect(Math.max(...swings)).toBeGreaterThan(48);
    expect(Math.max(...swings)).toBeLessThan(52);
    expect(Math.min(...swings)).toBeLessThan(-48);
    expect(Math.min(...swings)).toBeGreaterThan(-52);
    // Sine LFO from song time 0: highest at 1/4 cycle, i.e. t = 0.0625 + k·0.25 s.
    const top = track.reduce((best, point) => (point.frequency > best.frequency ? point : best));
    const cycles = (top.time - 0.0625) / 0.25;
    expect(Math.abs(cycles - Math.round(cycles))).toBeLessThan(0.03);
  });

  it('tremolo swings the level between 1 − depth and 1', () => {
    const [left] = render(synth, { wave: 'sine', filter: { cutoff: 15000, envAmount: 0 }, envelope: SUSTAIN, lfo: { target: 'amp', depth: 0.5, rate: 0.2 } }, [{ pitch: 69, length: 2 * RATE }], 2);
    const levels = amplitudeTrack(left, RATE / 2, Math.round(1.5 * RATE), 240);
    expect(Math.min(...levels) / Math.max(...levels)).toBeCloseTo(0.5, 1);
  });

  it('cutoff LFO moves the filter (brightness rises and falls with it)', () => {
    const [left] = render(synth, { wave: 'saw', filter: { cutoff: 600, envAmount: 0, keyTrack: 0 }, envelope: SUSTAIN, lfo: { target: 'cutoff', depth: 2, rate: 0.5, shape: 'square' } }, [{ pitch: 45, length: 2 * RATE }], 2);
    // Square LFO: cutoff 2400 Hz for the first quarter second, 150 Hz for the next.
    const size = 8192;
    const open = spectrum(left, Math.round(0.02 * RATE), size);
    const closed = spectrum(left, Math.round(0.27 * RATE), size);
    const high = (m: Float64Array) => bandEnergy(m, RATE, size, 1500, 6000);
    expect(10 * Math.log10(high(open) / high(closed))).toBeGreaterThan(20);
  });

  it('rejects unison outside 1–8 and a bad LFO', () => {
    const problems = synth.definition.validate!({ ...synth().options, unison: 9, lfo: { target: 'wobble' as never, rate: -1, depth: 1, shape: 'sine' } });
    expect(problems).toContain('unison must be a whole number of oscillators from 1 to 8');
    expect(problems.some((p) => p.startsWith('lfo.target'))).toBe(true);
    expect(problems.some((p) => p.startsWith('lfo.rate'))).toBe(true);
  });
});

describe('monoSynth', () => {
  const sine = { wave: 'sine', filter: { cutoff: 15000, envAmount: 0 }, envelope: { attack: 0.02, decay: 0.1, sustain: 0.5, release: 0.05 } } as const;

  it('glides between overlapping notes, linearly in semitones over the glide time', () => {
    // A3 held 0–1 s, A4 from 0.8 s: the glide runs 0.8–1.0 s.
    const [left] = render(monoSynth, { ...sine, glide: 0.2 }, [{ pitch: 57, length: RATE }, { pitch: 69, start: Math.round(0.8 * RATE), length: RATE }], 2);
    const track = pitchTrack(left, 0, 2 * RATE);
    expect(Math.abs(cents(pitchAt(track, 0.7), 220))).toBeLessThan(1);
    // Halfway through: halfway in semitones, D#4.
    expect(Math.abs(cents(pitchAt(track, 0.9), midiToFrequency(63)))).toBeLessThan(10);
    expect(Math.abs(cents(pitchAt(track, 0.85), midiToFrequency(60)))).toBeLessThan(10);
    expect(Math.abs(cents(pitchAt(track, 1.05), 440))).toBeLessThan(1);
    // It arrives at the glide time: within 5 ms of 1.0 s the pitch first comes within 15 cents of A4.
    const arrival = track.find((point) => point.time > 0.8 && Math.abs(cents(point.frequency, 440)) < 15)!;
    expect(Math.abs(arrival.time - 1.0)).toBeLessThan(0.006);
  });

  it('starts separate (non-overlapping) notes at their own pitch without gliding', () => {
    const [left] = render(monoSynth, { ...sine, glide: 0.2 }, [{ pitch: 57, length: RATE / 2 }, { pitch: 69, start: RATE / 2, length: RATE / 2 }], 1.2);
    const track = pitchTrack(left, Math.round(0.505 * RATE), Math.round(0.55 * RATE));
    for (const point of track) expect(Math.abs(cents(point.frequency, 440))).toBeLessThan(2);
  });

  it('does not retrigger the envelope on legato notes, and does without legato', () => {
    const notes = [{ pitch: 57, length: RATE }, { pitch: 64, start: Math.round(0.8 * RATE), length: RATE }];
    const window = 480;
    const around = (legato: boolean) => {
      const [left] = render(monoSynth, { ...sine, glide: 0.05, legato }, notes, 2);
      return amplitudeTrack(left, Math.round(0.6 * RATE), Math.round(1.2 * RATE), window);
    };
    const smooth = around(true);
    // Sustain 0.5 × -6 dB × (100/127)²: flat through the second note-on (no dip, no new attack).
    const sustain = smooth[0];
    for (const level of smooth) expect(Math.abs(level / sustain - 1)).toBeLessThan(0.02);
    const retriggered = around(false);
    // A new attack from the sustain level up to full level, 0.8 s + ~10 ms.
    expect(Math.max(...retriggered) / retriggered[0]).toBeGreaterThan(1.8);
    // ... rising from where it was: no drop towards zero at the retrigger.
    expect(Math.min(...retriggered) / retriggered[0]).toBeGreaterThan(0.95);
  });

  it('returns to a still-held note when the last one is released (last-note priority)', () => {
    const [left] = render(monoSynth, { ...sine, glide: 0 }, [{ pitch: 57, length: 2 * RATE }, { pitch: 64, start: RATE / 2, length: RATE / 2 }], 2);
    const track = pitchTrack(left, 0, 2 * RATE);
    expect(Math.abs(cents(pitchAt(track, 0.75), midiToFrequency(64)))).toBeLessThan(1);
    expect(Math.abs(cents(pitchAt(track, 1.25), 220))).toBeLessThan(1);
  });

  it('plays isolated notes exactly as synth does', () => {
    const options = { wave: 'saw', filter: { resonance: 0.5 } } as const;
    const notes = [{ pitch: 45, length: RATE / 4 }, { pitch: 52, start: RATE / 2, length: RATE / 4, velocity: 60 }];
    expect(Array.from(render(monoSynth, options, notes, 1)[0])).toEqual(Array.from(render(synth, options, notes, 1)[0]));
  });

  it('plays one note at a time: a chord sounds its highest note only', () => {
    const [left] = render(monoSynth, { ...sine }, [{ pitch: 60 }, { pitch: 64 }, { pitch: 67 }], 1);
    const size = 16384;
    const magnitudes = spectrum(left, 4800, size);
    const at = (pitch: number) => bandEnergy(magnitudes, RATE, size, midiToFrequency(pitch - 0.5), midiToFrequency(pitch + 0.5));
    expect(at(67) / (at(60) + at(64))).toBeGreaterThan(1e4);
  });
});

describe('fm', () => {
  const bessel = (k: number, x: number) => {
    // Series J_k(x) = Σ (-1)^m (x/2)^(2m+k) / (m! (m+k)!)
    let sum = 0;
    let factM = 1;
    for (let m = 0; m < 20; m++) {
      if (m > 0) factM *= m;
      let factMK = 1;
      for (let i = 2; i <= m + k; i++) factMK *= i;
      sum += ((m % 2 ? -1 : 1) * Math.pow(x / 2, 2 * m + k)) / (factM * factMK);
    }
    return sum;
  };

  it('puts sidebands at carrier ± k·modulator with Bessel amplitudes (β = index × level)', () => {
    const ratio = 1.41;
    const beta = 1.2;
    const [left] = render(fm, { operators: [{ ratio: 1, level: 1, envelope: SUSTAIN }, { ratio, level: 1, envelope: SUSTAIN }], index: beta, velocityToIndex: 0, level: 0 }, [{ pitch: 69, velocity: 127, length: 2 * RATE }], 2);
    const size = 65536;
    const carrier = 440;
    const modulator = 440 * ratio;
    const a0 = toneAmplitude(left, 4800, size, carrier);
    expect(a0).toBeCloseTo(bessel(0, beta), 2);
    for (const k of [1, 2, 3]) {
      for (const sign of [1, -1]) {
        const frequency = Math.abs(carrier + sign * k * modulator);
        const measured = toneAmplitude(left, 4800, size, frequency);
        expect(20 * Math.log10(measured / Math.abs(bessel(k, beta))), `k=${sign * k} at ${frequency} Hz`).toBeCloseTo(0, 0);
      }
    }
    // Nothing where no sideband belongs (between the carrier and the first upper sideband).
    expect(toneAmplitude(left, 4800, size, (carrier + carrier + modulator) / 2)).toBeLessThan(1e-4);
  });

  it('algorithms route as documented: parallel is additive, pairs gives two carriers', () => {
    // Ratios chosen so that no sideband of one carrier lands on another's partial.
    const ratios = [1, 3.3, 3, 5.7];
    const size = 32768;
    const play = (algorithm: 'parallel' | 'pairs' | 'fan', count: number) =>
      render(fm, { operators: ratios.slice(0, count).map((ratio) => ({ ratio, level: 0.5, envelope: SUSTAIN })), algorithm, velocityToIndex: 0, level: 0 }, [{ pitch: 57, velocity: 127, length: 2 * RATE }], 1)[0];
    const at = (signal: Float32Array, ratio: number) => toneAmplitude(signal, 4800, size, 220 * ratio);
    const parallel = play('parallel', 4);
    for (const r of ratios) expect(at(parallel, r)).toBeCloseTo(0.5, 3);
    expect(at(parallel, 4)).toBeLessThan(1e-4);
    // pairs: 2 → 1 and 4 → 3, each modulator at β 0.5: carriers at 0.5 × J0(0.5), first sidebands 0.5 × J1(0.5).
    const pairs = play('pairs', 4);
    expect(at(pairs, 1)).toBeCloseTo(0.5 * bessel(0, 0.5), 3);
    expect(at(pairs, 3)).toBeCloseTo(0.5 * bessel(0, 0.5), 3);
    expect(at(pairs, 1 + 3.3)).toBeCloseTo(0.5 * bessel(1, 0.5), 3);
    expect(at(pairs, 3 + 5.7)).toBeCloseTo(0.5 * bessel(1, 0.5), 3);
    expect(at(pairs, 3.3)).toBeLessThan(1e-4); // modulators are not heard
    // fan (3 operators): 3 modulates both 1 and 2, which are the carriers.
    const fan = play('fan', 3);
    expect(at(fan, 1)).toBeCloseTo(0.5 * bessel(0, 0.5), 3);
    expect(at(fan, 3.3)).toBeCloseTo(0.5 * bessel(0, 0.5), 3);
    expect(at(fan, 3.3 + 3)).toBeCloseTo(0.5 * bessel(1, 0.5), 3);
    expect(at(fan, 3)).toBeLessThan(1e-4);
  });

  it('feedback turns a sine into a harmonic-rich tone', () => {
    const size = 16384;
    const plain = render(fm, { operators: [{ ratio: 1, level: 1, envelope: SUSTAIN }, { ratio: 1, level: 0, envelope: SUSTAIN }] }, [{ pitch: 57 }], 1)[0];
    const fed = render(fm, { operators: [{ ratio: 1, level: 1, envelope: SUSTAIN, feedback: 1 }, { ratio: 1, level: 0, envelope: SUSTAIN }] }, [{ pitch: 57 }], 1)[0];
    const h2 = (signal: Float32Array) => toneAmplitude(signal, 4800, size, 440) / toneAmplitude(signal, 4800, size, 220);
    expect(h2(plain)).toBeLessThan(1e-4);
    expect(h2(fed)).toBeGreaterThan(0.2);
  });

  it('rejects a wrong operator count and an unknown algorithm', () => {
    const problems = fm.definition.validate!({ ...fm().options, operators: [fm().options.operators[0]], algorithm: 'tree' as never });
    expect(problems).toContain('operators must list 2 to 4 operators');
    expect(problems.some((p) => p.startsWith('algorithm must be one of'))).toBe(true);
  });
});

describe('pluck', () => {
  /** T60 of the fundamental from its level at two times. */
  function decayTime(signal: Float32Array, frequency: number, t1: number, t2: number): number {
    const size = 4096;
    const a1 = toneAmplitude(signal, Math.round(t1 * RATE) - size / 2, size, frequency);
    const a2 = toneAmplitude(signal, Math.round(t2 * RATE) - size / 2, size, frequency);
    const dbPerSecond = (20 * Math.log10(a1 / a2)) / (t2 - t1);
    return 60 / dbPerSecond;
  }

  for (const [pitch, decay] of [[57, 1], [69, 1.5], [81, 0.8], [93, 0.6], [45, 2]] as const) {
    it(`decays its fundamental 60 dB in \`decay\` seconds ± 15% (note ${pitch}, ${decay} s)`, () => {
      for (const brightness of [0, 0.5, 1]) {
        const [left] = render(pluck, { decay, brightness }, [{ pitch, length: 4 * RATE }], 4);
        const measured = decayTime(left, midiToFrequency(pitch), 0.3, 0.3 + decay);
        expect(Math.abs(measured / decay - 1), `brightness ${brightness}: ${measured} s`).toBeLessThan(0.15);
      }
    });
  }

  it('is in tune within 2 cents at A4 and A6 (fractional delay)', () => {
    for (const pitch of [69, 93, 100]) {
      const expected = midiToFrequency(pitch);
      const [left] = render(pluck, { decay: 3 }, [{ pitch, length: 3 * RATE }], 3);
      const measured = peakFrequency(left, RATE, 2400, 65536, expected * 0.9, expected * 1.1);
      expect(Math.abs(cents(measured, expected)), `${pitch}: ${measured} Hz`).toBeLessThan(2);
    }
  });

  it('is brighter with more brightness, and the pick position notches harmonics', () => {
    const size = 16384;
    const ratio = (options: object, harmonic: number) => {
      const [left] = render(pluck, options, [{ pitch: 45 }], 1);
      return toneAmplitude(left, 2400, size, 110 * harmonic) / toneAmplitude(left, 2400, size, 110);
    };
    expect(ratio({ brightness: 1 }, 6) / ratio({ brightness: 0 }, 6)).toBeGreaterThan(4);
    // Plucked at a quarter of the string: every 4th harmonic is cancelled at the start.
    expect(ratio({ brightness: 1, pickPosition: 0.25 }, 4)).toBeLessThan(0.3 * ratio({ brightness: 1, pickPosition: 0.25 }, 3));
  });

  it('damps at note-off and ends at exactly zero after the release', () => {
    const [left] = render(pluck, { decay: 4, release: 0.1 }, [{ pitch: 57, start: 1000, length: RATE / 2 }], 1);
    const end = 1000 + RATE / 2 + Math.round(0.1 * RATE);
    expect(peak(left, end)).toBe(0);
    expect(peak(left, end - 2400, end)).toBeGreaterThan(0);
    expect(peak(left, 0, 1000)).toBe(0);
  });
});

describe('noise', () => {
  /** Welch PSD in dB, averaged over third-octave bands from 100 Hz to 5 kHz; returns [log2 f, dB]. */
  function bandLevels(signal: Float32Array): [number, number][] {
    const size = 8192;
    const psd = new Float64Array(size / 2);
    let segments = 0;
    for (let from = 4800; from + size <= signal.length - 4800; from += size / 2, segments++) {
      const magnitudes = spectrum(signal, from, size);
      for (let i = 0; i < psd.length; i++) psd[i] += magnitudes[i] ** 2;
    }
    const binHz = RATE / size;
    const levels: [number, number][] = [];
    for (let centre = 100; centre <= 5000 * 1.01; centre *= Math.pow(2, 1 / 3)) {
      const lo = Math.ceil((centre * Math.pow(2, -1 / 6)) / binHz);
      const hi = Math.floor((centre * Math.pow(2, 1 / 6)) / binHz);
      let sum = 0;
      for (let i = lo; i <= hi; i++) sum += psd[i] / segments;
      levels.push([Math.log2(centre), 10 * Math.log10(sum / (hi - lo + 1))]);
    }
    return levels;
  }

  for (const [color, slope] of [['white', 0], ['pink', -3], ['brown', -6]] as const) {
    it(`${color} noise falls ${slope} dB/octave within ±1 dB from 100 Hz to 5 kHz`, () => {
      const [left] = render(noise, { color, filter: { cutoff: 23000, resonance: 0 }, envelope: SUSTAIN }, [{ pitch: 60, length: 20 * RATE }], 20);
      const levels = bandLevels(left);
      const offset = levels.reduce((sum, [x, y]) => sum + y - slope * x, 0) / levels.length;
      for (const [x, y] of levels) expect(Math.abs(y - (offset + slope * x)), `${color} at ${Math.round(2 ** x)} Hz`).toBeLessThan(1);
    });
  }

  it('keeps every colour near white noise RMS', () => {
    const rms = (color: 'white' | 'pink' | 'brown') => {
      const [left] = render(noise, { color, filter: { cutoff: 23000, resonance: 0 }, envelope: SUSTAIN, velocitySensitivity: 0, level: 0 }, [{ pitch: 60, length: 4 * RATE }], 4);
      let sum = 0;
      for (let i = RATE; i < 4 * RATE; i++) sum += left[i] * left[i];
      return 10 * Math.log10(sum / (3 * RATE));
    };
    const white = rms('white');
    expect(Math.abs(rms('pink') - white)).toBeLessThan(2);
    expect(Math.abs(rms('brown') - white)).toBeLessThan(3);
  });

  it('filters: a high-pass removes the lows, a band-pass keeps its band, an envelope sweeps a riser', () => {
    const size = 16384;
    const shape = (filter: object, filterEnvelope?: object) => spectrum(render(noise, { filter: { resonance: 0, ...filter }, filterEnvelope, envelope: SUSTAIN }, [{ pitch: 60, length: 2 * RATE }], 2)[0], 4800, size);
    const highpassed = shape({ type: 'highpass', cutoff: 4000 });
    expect(10 * Math.log10(bandEnergy(highpassed, RATE, size, 4000, 16000) / bandEnergy(highpassed, RATE, size, 100, 1000))).toBeGreaterThan(20);
    const band = shape({ type: 'bandpass', cutoff: 1000, resonance: 0.8 });
    expect(10 * Math.log10(bandEnergy(band, RATE, size, 800, 1250) / (bandEnergy(band, RATE, size, 100, 400) + bandEnergy(band, RATE, size, 2500, 10000)))).toBeGreaterThan(3);
    // Riser: the cutoff opens 5 octaves over 2 s.
    const [riser] = render(noise, { filter: { cutoff: 200, resonance: 0, envAmount: 5 }, filterEnvelope: { attack: 2, decay: 0, sustain: 1, release: 0.1 }, envelope: SUSTAIN }, [{ pitch: 60, length: 2 * RATE }], 2);
    const early = spectrum(riser, Math.round(0.1 * RATE), 8192);
    const late = spectrum(riser, Math.round(1.8 * RATE), 8192);
    expect(bandEnergy(late, RATE, 8192, 2000, 8000) / bandEnergy(early, RATE, 8192, 2000, 8000)).toBeGreaterThan(100);
  });
});

describe('drums: toms and cymbals', () => {
  it('tunes each tom near its `tune` (and GM 43/47/50 three semitones higher)', () => {
    const toms = [
      [GM_DRUMS.lowTom, 90],
      [GM_DRUMS.midTom, 130],
      [GM_DRUMS.highTom, 185],
      [43, 90 * 2 ** 0.25],
      [47, 130 * 2 ** 0.25],
      [50, 185 * 2 ** 0.25],
    ] as const;
    for (const [pitch, tune] of toms) {
      const [left] = render(drums, {}, [{ pitch }], 1);
      const measured = peakFrequency(left, RATE, Math.round(0.12 * RATE), 8192, 40, 600);
      expect(Math.abs(measured / tune - 1), `tom ${pitch}: ${measured} Hz`).toBeLessThan(0.03);
    }
    const [retuned] = render(drums, { midTom: { tune: 110 } }, [{ pitch: GM_DRUMS.midTom }], 1);
    expect(Math.abs(peakFrequency(retuned, RATE, Math.round(0.12 * RATE), 8192, 40, 600) / 110 - 1)).toBeLessThan(0.03);
  });

  it('sweeps a tom down from `sweep` × tune', () => {
    const [left] = render(drums, { lowTom: { sweep: 2, sweepTime: 0.05 } }, [{ pitch: GM_DRUMS.lowTom }], 1);
    const early = pitchTrack(left, 0, 2400)[0].frequency;
    expect(early / 90).toBeGreaterThan(1.7);
  });

  it('puts crash and ride energy above 3 kHz, ringing for their decay', () => {
    const size = 16384;
    for (const [pitch, decay] of [[GM_DRUMS.crash, 2], [GM_DRUMS.ride, 2.5]] as const) {
      const [left] = render(drums, {}, [{ pitch }], 3);
      const magnitudes = spectrum(left, 0, size);
      expect(bandEnergy(magnitudes, RATE, size, 3000, 24000) / bandEnergy(magnitudes, RATE, size, 20, 3000), `${pitch}`).toBeGreaterThan(8);
      expect(peak(left, Math.round(decay * 0.6 * RATE), Math.round(decay * 0.7 * RATE))).toBeGreaterThan(1e-3);
      expect(peak(left, Math.round(decay * RATE))).toBe(0);
    }
  });

  it('the ride bell adds a band around 2.5 kHz', () => {
    const size = 16384;
    const bell = (amount: number) => bandEnergy(spectrum(render(drums, { ride: { bell: amount } }, [{ pitch: GM_DRUMS.ride }], 1)[0], 0, size), RATE, size, 2000, 3100);
    expect(bell(1) / bell(0)).toBeGreaterThan(3);
  });

  it('extends the kit tail to the longest voice (the ride), and sizes each hit by its own voice', () => {
    const options = drums().options;
    expect(drums.definition.tail(options)).toBe(2.5);
    expect(hitSeconds(options, GM_DRUMS.kick)).toBe(0.5);
    expect(hitSeconds(options, 43)).toBe(0.6);
    expect(hitSeconds(options, GM_DRUMS.crash)).toBe(2);
    expect(hitSeconds(options, 60)).toBe(0);
    // A hit is silent from its length on.
    for (const pitch of [GM_DRUMS.lowTom, 47, GM_DRUMS.highTom, GM_DRUMS.crash]) {
      const [left] = render(drums, {}, [{ pitch, start: 100 }], 3);
      const end = 100 + Math.round(hitSeconds(options, pitch) * RATE);
      expect(peak(left, end)).toBe(0);
      expect(peak(left, end - 4800, end)).toBeGreaterThan(0);
    }
  });
});

describe('determinism', () => {
  const chord = [{ pitch: 48 }, { pitch: 55, start: 100 }, { pitch: 64, start: 2000, velocity: 60 }, { pitch: 71, start: 2000 }];
  const cases: [string, (seed: number) => Float32Array[]][] = [
    ['synth unison + lfo', (seed) => render(synth, { unison: 5, lfo: { target: 'cutoff', depth: 1, rate: '4n' } }, chord, 1, { seed })],
    ['monoSynth', (seed) => render(monoSynth, { legato: false, lfo: { target: 'pitch', depth: 20 } }, chord, 1, { seed })],
    ['fm', (seed) => render(fm, { algorithm: 'branch', operators: [{ ratio: 1, level: 1, envelope: SUSTAIN }, { ratio: 2, level: 1, envelope: SUSTAIN }, { ratio: 3, level: 0.5, envelope: SUSTAIN, feedback: 0.5 }] }, chord, 1, { seed })],
    ['pluck', (seed) => render(pluck, {}, chord, 1, { seed })],
    ['noise', (seed) => render(noise, { color: 'pink' }, chord, 1, { seed })],
    ['drums', (seed) => render(drums, {}, [41, 43, 45, 47, 48, 50, 49, 51].map((pitch, i) => ({ pitch, start: i * 4000 })), 2, { seed })],
  ];
  for (const [name, play] of cases) {
    it(`${name} renders the same bits every time`, () => {
      const a = play(3)[0];
      expect(peak(a)).toBeGreaterThan(0.01);
      expect(Array.from(play(3)[0])).toEqual(Array.from(a));
    });
  }
});
