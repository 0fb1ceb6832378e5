/**
 * The README's mixing and instrument examples, as code: `tsc` (tests/types.test.ts) fails
 * when the documented API drifts from the real one. Type-checked only, never run.
 */
import {
  audioTrack,
  clip,
  compressor,
  defineSong,
  delay,
  detectHits,
  drums,
  ducker,
  eq,
  hitsToNotes,
  kit,
  lfo,
  point,
  reverb,
  sampler,
  slicer,
  soundfont,
  synth,
} from 'mixdown';

export const mixing = () =>
  defineSong({
    title: 'Mixing',
    tempo: 120,
    tracks: {
      kick: { instrument: drums(), output: 'drums' },
      bass: {
        instrument: synth({ wave: 'saw' }),
        effects: [eq({ bands: [{ type: 'highpass', frequency: 35, slope: 24 }] }), ducker({ amount: 6 }, { sidechain: { from: 'kick', highpass: 60 } })],
        sends: [{ to: 'verb', level: -18 }],
        automation: {
          gain: [point('0:0:0', -12), point('8:0:0', 0, 'curve', 2)],
          'instrument.filter.cutoff': lfo('1m', 300, 1800),
          'fx.eq.bands.0.frequency': [{ at: '0:0:0', value: 35, section: 'chorus' }],
        },
      },
      echoes: { instrument: synth(), effects: [delay({ time: '8n.', feedback: 0.4, pingPong: true })] },
    },
    buses: {
      drums: { effects: [compressor({ ratio: 4 }, { mix: 0.5 })] },
      verb: { effects: [reverb({ decay: 2.5 })] },
    },
  });

export const instruments = () =>
  defineSong({
    title: 'Samples',
    tempo: 120,
    tracks: {
      keys: {
        instrument: sampler({
          zones: [
            { file: 'samples/piano-c4.wav', root: 60, keys: [0, 66], velocities: [1, 90] },
            { file: 'samples/piano-c4-hard.wav', root: 60, keys: [0, 66], velocities: [91, 127] },
            { file: 'samples/piano-c5.wav', root: 72, keys: [67, 127], loop: { mode: 'sustain', start: 0.8, end: 1.6 } },
          ],
        }),
      },
      beat: { instrument: kit({ pads: { 36: { synth: 'kick' }, 38: { sample: 'samples/snare.wav' }, 42: { sample: 'samples/hat.wav', choke: 1 } } }) },
      chops: { instrument: slicer({ file: 'samples/break.wav', slices: 'onsets' }) },
      gm: { instrument: soundfont({ file: 'sounds/FluidR3_GM.sf2', program: 48 }) },
      vox: audioTrack([clip('takes/vox.wav', '8:0:0', { trimStart: 0.2, fadeIn: 0.01, gain: -3 }), clip('loops/pad.wav', '16:0:0', { loop: true, length: '8m' })]),
      kick2: { instrument: kit({ pads: { 36: { sample: 'samples/kick.wav' } } }), notes: hitsToNotes(detectHits('takes/kick-mic.wav'), 36) },
    },
  });
