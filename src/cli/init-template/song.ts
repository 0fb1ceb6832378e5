/**
 * Your first song: 12 bars of A minor at 104 BPM. `npm start` renders it into
 * dist/first-song/ (stems, buses, mix, a master at -14 LUFS, MIDI, report.json).
 * It shows sections and a form, a drum bus, a bass ducked by the kick (a sidechain),
 * a reverb return fed by sends, and a master loudness target.
 */
import { arpeggiate, compressor, defineSong, drums, ducker, eq, GM_DRUMS, grid, progression, reverb, synth, type NoteInput } from 'mixdown';

/** i – VI – III – VII, one bar each. */
const CHORDS = progression('A minor', ['i', 'VI', 'III', 'VII'], { octave: 3 });
/** Bass roots: A1 F1 C2 G1. */
const ROOTS = ['A1', 'F1', 'C2', 'G1'] as const;

const beat: NoteInput[] = [
  ...grid('X...x...X...x...', GM_DRUMS.kick),
  ...grid('....X.......X...', GM_DRUMS.snare),
  ...grid('x.x.x.x.x.x.x.xo', GM_DRUMS.closedHat, { velocity: 70, ghost: 40 }),
];

const bass: NoteInput[] = ROOTS.flatMap((root, bar) =>
  [0, 3, 6, 10].map((step) => ({ pitch: root, start: { ticks: bar * 3840 + step * 240 }, length: '8n' as const, velocity: step === 0 ? 110 : 90 })),
);

const pad: NoteInput[] = CHORDS.flatMap((notes, bar) => notes.map((pitch) => ({ pitch, start: `${bar}:0:0`, length: '1m' as const, velocity: 60 })));

const arp = arpeggiate(progression('A minor', ['i', 'VI', 'III', 'VII'], { octave: 4 }), { rate: '16n', pattern: 'updown', velocity: 70, gate: 0.7 });

export default defineSong({
  title: 'First Song',
  tempo: 104,
  key: 'A minor',
  seed: 1,
  tail: 1.5,
  sections: { intro: 4, verse: 4, outro: 4 },
  form: ['intro', 'verse', 'outro'],
  tracks: {
    beat: { instrument: drums(), gain: -3, output: 'drums', parts: { verse: beat, outro: grid('X...............', GM_DRUMS.kick) } },
    bass: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 400, resonance: 0.3, envAmount: 2 }, envelope: { attack: 0.003, decay: 0.2, sustain: 0.6, release: 0.08 } }),
      gain: 1,
      // Ducks under the kick: the beat track keys the ducker.
      effects: [ducker({ amount: 6 }, { sidechain: { from: 'beat', highpass: 60 } })],
      parts: { verse: bass },
    },
    pad: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 900, resonance: 0.15 }, envelope: { attack: 0.4, decay: 0.8, sustain: 0.7, release: 1.2 } }),
      gain: -6,
      pan: -0.2,
      sends: [{ to: 'space', level: -6 }],
      parts: { intro: pad, verse: pad, outro: pad },
    },
    arp: {
      instrument: synth({ wave: 'square', filter: { cutoff: 1600, resonance: 0.3, envAmount: 2 }, envelope: { attack: 0.002, decay: 0.15, sustain: 0.2, release: 0.1 } }),
      gain: -7,
      pan: 0.3,
      sends: [{ to: 'space', level: -10 }],
      parts: { intro: arp, verse: arp },
    },
  },
  buses: {
    drums: { gain: -2, effects: [eq({ bands: [{ type: 'highpass', frequency: 30 }] }), compressor({ ratio: 4, threshold: -24 })] },
    space: { effects: [reverb({ decay: 2.2 })] },
  },
  master: { loudness: 'streaming' },
});
