/**
 * "Night Drive" — the demo song: 70 bars of A minor at 112 BPM (2:30), seven tracks.
 * Written with sections and parts: a part shorter than its section loops, and the last
 * chorus gets its own drum fill-in. Mixed on buses: a drum bus (EQ, compressor, tape from
 * plugins/), the bass ducked by the drums (sidechain), reverb and delay returns fed by
 * sends, a pad whose filter opens through the intro (automation), a granular texture
 * (plugins/) in the break, everything glued on a mix bus. Variants: a radio edit, an
 * instrumental, the song a tone higher, and three generated takes of the lead.
 */
import {
  arpeggiate,
  defineSong,
  drums,
  GM_DRUMS,
  grid,
  progression,
  removeTracks,
  repeat,
  shift,
  synth,
  transposeSong,
  withForm,
  withTrack,
  eq,
  compressor,
  ducker,
  reverb,
  delay,
  chorus,
  width,
  type NoteInput,
  type PartInput,
} from 'mixdown';
import { granular } from '../../plugins/granular.ts';
import { tape } from '../../plugins/tape.ts';
import { at, random, steps } from './patterns.ts';

/** Changes only the lead's phrasing; the benchmark edits it to time a one-track rebuild. */
const BENCH_EDIT_SEED = 1;
/** Changes only the lead's last chorus (the song's second half); the benchmark edits it to time a late one-track edit. */
const BENCH_LATE_EDIT = 0;

/** i – VI – III – VII, one bar each (pads in octave 3, arpeggio in octave 4). */
const CHORDS = progression('A minor', ['i7', 'VImaj7', 'III', 'VII'], { octave: 3 });
const ARP_CHORDS = progression('A minor', ['i', 'VI', 'III', 'VII'], { octave: 4 });
/** Bass roots A1 F1 C2 G1, as MIDI numbers so octaves are +12. */
const ROOTS = [33, 29, 36, 31];

const fourBars = (make: (bar: number) => NoteInput[]): NoteInput[] => [0, 1, 2, 3].flatMap(make);

/** Kick on the beat, snare on 2 and 4, hats: one bar, looped by the section. */
const beat = (busy: boolean): NoteInput[] => [
  ...grid('X...x...X...x...', GM_DRUMS.kick),
  ...grid('....X.......X..o', GM_DRUMS.snare),
  ...grid(busy ? 'x.xox.xox.xox.xo' : 'x.x.x.x.x.x.x.x.', GM_DRUMS.closedHat, { velocity: 72, accent: 96, ghost: 44 }),
  ...(busy ? grid('....x.......x...', GM_DRUMS.clap, { velocity: 84 }) : []),
];

/** Two bars, with an open hat on the last off-beat, choked by the next closed hat. */
const chorusBeat: PartInput = {
  notes: [...beat(true), ...shift(beat(true), '1m'), ...grid('x', GM_DRUMS.openHat, { start: '1:3:480', length: '8n', velocity: 80 })],
  length: '2m',
};

/** The last chorus ends in a snare roll into the outro. */
const lastChorusBeat: NoteInput[] = [
  ...repeat(beat(true), 15, '1m'),
  ...grid('X...x...', GM_DRUMS.kick, { start: '15:0:0' }),
  ...grid('....x.x.xxxxXXXX', GM_DRUMS.snare, { start: '15:0:0', velocity: 70, accent: 110 }),
];

function bassPart(busy: boolean): NoteInput[] {
  const pattern = busy ? [0, 2, 4, 6, 8, 10, 12, 14] : [0, 3, 6, 8, 11, 14];
  return fourBars((bar) =>
    pattern.map((step) => ({
      // The busy chorus line jumps an octave on the off-beats.
      pitch: busy && step % 4 === 2 ? ROOTS[bar] + 12 : ROOTS[bar],
      start: at(bar, step),
      length: steps(busy ? 2 : 3),
      velocity: step === 0 ? 112 : 92,
    })),
  );
}

const padPart = (velocity: number): NoteInput[] =>
  fourBars((bar) => CHORDS[bar].map((pitch) => ({ pitch, start: at(bar), length: steps(16), velocity })));

const arpPart = (fade = false): NoteInput[] =>
  arpeggiate(ARP_CHORDS, { rate: '16n', pattern: 'updown', octaves: 1, velocity: 76, gate: 0.8 }).map((note, index) =>
    fade ? { ...note, velocity: Math.max(20, note.velocity - Math.floor(index / 16) * 10) } : note,
  );

/** A minor pentatonic phrases; the seed picks among rhythmic variants per bar. */
function leadPart(seed: number): NoteInput[] {
  const next = random(seed * 7919);
  const scale = ['A4', 'C5', 'D5', 'E5', 'G5', 'A5'] as const;
  const rhythms = [
    [0, 3, 6, 10, 12],
    [0, 4, 6, 8, 14],
    [2, 4, 7, 10],
    [0, 6, 8, 11, 12],
  ];
  const notes: NoteInput[] = [];
  let degree = 2;
  for (let bar = 0; bar < 8; bar++) {
    if (bar === 7) {
      notes.push({ pitch: 'A4', start: at(bar), length: steps(12), velocity: 96 });
      continue;
    }
    const rhythm = rhythms[Math.floor(next() * rhythms.length)];
    rhythm.forEach((step, index) => {
      degree = Math.max(0, Math.min(scale.length - 1, degree + Math.round(next() * 4 - 2)));
      const nextStep = rhythm[index + 1] ?? 16;
      notes.push({ pitch: scale[degree], start: at(bar, step), length: steps(Math.max(1, nextStep - step - 1)), velocity: 84 + Math.round(next() * 30) });
    });
  }
  return notes;
}

const leadParts = (seed: number) => ({ verse: leadPart(seed), chorus: leadPart(seed + 1) });

/** Bell answers on the off bars: the third and fifth of each chord, an octave up. */
const bellPart: NoteInput[] = fourBars((bar) =>
  bar % 2 === 0
    ? []
    : [
        { pitch: CHORDS[bar][1] + 12, start: at(bar, 8), length: steps(4), velocity: 70 },
        { pitch: CHORDS[bar][2] + 12, start: at(bar, 12), length: steps(4), velocity: 60 },
      ],
);

export default defineSong({
  title: 'Night Drive',
  tempo: 112,
  meter: [4, 4],
  key: 'A minor',
  sampleRate: 48000,
  seed: 2026,
  tail: 1,
  sections: { intro: 8, verse: 16, chorus: 16, break: 8, outro: 6 },
  form: ['intro', 'verse', 'chorus', 'break', 'chorus', 'outro'],
  tracks: {
    drums: {
      instrument: drums(),
      gain: -3,
      output: 'drum-bus',
      sends: [{ to: 'room', level: -18 }],
      humanize: { timing: 8, velocity: 6 },
      parts: {
        // Hats come in halfway through the intro.
        intro: { notes: shift(repeat(grid('..x...x...x...x.', GM_DRUMS.closedHat, { velocity: 70 }), 4, '1m'), '4m'), length: '8m' },
        verse: beat(false),
        chorus: chorusBeat,
        'chorus@2': lastChorusBeat,
        // Half-time kicks through the second half of the break.
        break: { notes: shift(repeat(grid('X.......X.......', GM_DRUMS.kick), 4, '1m'), '4m'), length: '8m' },
        outro: [{ pitch: GM_DRUMS.kick, start: '0:0:0', length: '4n', velocity: 120 }],
      },
    },
    bass: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 320, resonance: 0.3, envAmount: 2 }, envelope: { attack: 0.003, decay: 0.2, sustain: 0.6, release: 0.08 }, program: 38 }),
      gain: -5,
      output: 'glue',
      // Pumps with the drums: a key high-passed above the bass so the kick's attack drives it.
      effects: [ducker({ amount: 6, threshold: -24, attack: 0.002, hold: '16n', release: '8n' }, { sidechain: { from: 'drums', highpass: 60 } })],
      parts: { verse: bassPart(false), chorus: bassPart(true), outro: { notes: [{ pitch: 'A1', start: '0:0:0', length: '2m', velocity: 100 }], length: '6m' } },
    },
    pad: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 900, resonance: 0.15, envAmount: 1 }, envelope: { attack: 0.4, decay: 0.8, sustain: 0.7, release: 1.2 }, program: 89 }),
      gain: -13,
      pan: -0.25,
      output: 'glue',
      effects: [chorus({ rate: 0.3, depth: 4 })],
      sends: [{ to: 'hall', level: -8 }],
      // The filter opens over the intro, exponentially (even in pitch), then stays open.
      automation: { 'instrument.filter.cutoff': [{ at: '0:0:0', value: 250 }, { at: '8:0:0', value: 900, shape: 'exponential' }] },
      parts: { intro: padPart(64), verse: padPart(64), chorus: padPart(64), break: padPart(70), outro: padPart(56) },
    },
    arp: {
      instrument: synth({ wave: 'square', filter: { cutoff: 1400, resonance: 0.4, envAmount: 2.5 }, envelope: { attack: 0.002, decay: 0.15, sustain: 0.2, release: 0.1 }, program: 81 }),
      gain: -11,
      pan: 0.35,
      output: 'glue',
      sends: [{ to: 'echo', level: -14 }],
      parts: { intro: arpPart(), chorus: arpPart(), outro: { notes: arpPart(true), length: '6m' } },
    },
    lead: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 2200, resonance: 0.25, envAmount: 1.5 }, envelope: { attack: 0.01, decay: 0.3, sustain: 0.75, release: 0.25 }, program: 80 }),
      gain: -8,
      pan: 0.1,
      output: 'glue',
      sends: [
        { to: 'echo', level: -12 },
        { to: 'hall', level: -14 },
      ],
      // More echo on the last chorus.
      automation: { 'send.echo': [{ at: '0:0:0', value: -12, section: 'chorus@2' }, { at: '15:0:0', value: -6, section: 'chorus@2', shape: 'curve', curve: 2 }, { at: '16:0:0', value: -12, section: 'chorus@2', shape: 'step' }] },
      parts: { ...leadParts(BENCH_EDIT_SEED), 'chorus@2': leadPart(BENCH_EDIT_SEED + 1 + BENCH_LATE_EDIT) },
    },
    bell: {
      instrument: synth({ wave: 'sine', envelope: { attack: 0.001, decay: 0.6, sustain: 0, release: 0.6 }, program: 14 }),
      gain: -2,
      pan: -0.4,
      output: 'glue',
      sends: [{ to: 'hall', level: -6 }],
      parts: { chorus: bellPart, break: bellPart },
    },
    texture: {
      instrument: granular({ grainSize: 0.12, density: 24, spray: 0.05, level: -16 }),
      output: 'glue',
      sends: [{ to: 'hall', level: -4 }],
      parts: { break: { notes: [{ pitch: 'E4', start: '0:0:0', length: '8m', velocity: 80 }, { pitch: 'A3', start: '0:0:0', length: '8m', velocity: 70 }], length: '8m' } },
    },
  },
  buses: {
    'drum-bus': {
      output: 'glue',
      effects: [eq({ bands: [{ type: 'highpass', frequency: 30, slope: 24 }, { type: 'bell', frequency: 350, gain: -2, q: 1.2 }] }), compressor({ threshold: -18, ratio: 4, attack: 0.01, release: 0.12 }, { mix: 0.6 }), tape({ drive: 4 })],
    },
    room: { output: 'glue', effects: [reverb({ decay: 0.8, size: 0.6, predelay: 0.005, modulation: 0 })] },
    hall: { output: 'glue', effects: [reverb({ decay: 3.2, size: 1.4, predelay: 0.03, damping: 5000 }), eq({ bands: [{ type: 'highpass', frequency: 200, slope: 12 }] })] },
    echo: { output: 'glue', effects: [delay({ time: '8n.', feedback: 0.35, pingPong: true, lowpass: 4000, highpass: 300 })] },
    // The mix bus: gentle glue and a little width before the master.
    glue: { effects: [compressor({ threshold: -14, ratio: 2, attack: 0.02, release: 0.2, knee: 6 }), width({ width: 1.1, bassMono: 120 })] },
  },
  // Mastered for streaming: -14 LUFS, true peak under -1 dBTP; a 16-bit dithered copy too.
  master: {
    loudness: 'streaming',
    eq: [
      { type: 'highPass', frequency: 25, slope: 24 },
      { type: 'highShelf', frequency: 9000, gain: 1 },
    ],
    compressor: { threshold: -16, ratio: 1.5, attack: 0.03, release: 0.25 },
  },
  variants: {
    radio: (song) => withForm(song, ['verse', 'chorus', 'break', 'chorus', 'outro']),
    instrumental: (song) => removeTracks(song, 'lead'),
    // The mix without the mastering chain (only kept under -1 dBFS), e.g. to master elsewhere.
    unmastered: (song) => ({ ...song, master: {} }),
    'up-a-tone': (song) => transposeSong(song, 2),
    // Generated variants: three more takes of the lead, each from its own seed.
    ...Object.fromEntries([2, 3, 4].map((take) => [`lead-take-${take}`, (song: Parameters<typeof withForm>[0]) => withTrack(song, 'lead', (lead) => ({ ...lead, parts: leadParts(take * 100) }))])),
  },
});
