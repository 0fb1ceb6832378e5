/**
 * "Night Drive" — the demo song: 70 bars of A minor at 112 BPM (2:30), six tracks.
 * Form: intro 8 · verse 16 · chorus 16 · break 8 · chorus 16 · outro 6.
 */
import { defineSong, drums, GM_DRUMS, synth, type NoteInput, type Pitch } from 'mixdown';
import { at, chord, grid, random, steps } from './patterns.ts';

/** Changes only the lead's phrasing; the benchmark edits it to time a one-track rebuild. */
const BENCH_EDIT_SEED = 1;

const INTRO = 0;
const VERSE = 8;
const CHORUS = 24;
const BREAK = 40;
const CHORUS_2 = 48;
const OUTRO = 64;
const END = 70;

/** i – VI – III – VII, one bar each. */
const PROGRESSION: readonly { root: Pitch; pad: readonly Pitch[]; arp: readonly Pitch[] }[] = [
  { root: 'A1', pad: ['A3', 'C4', 'E4', 'G4'], arp: ['A4', 'C5', 'E5', 'C5'] },
  { root: 'F1', pad: ['F3', 'A3', 'C4', 'E4'], arp: ['F4', 'A4', 'C5', 'A4'] },
  { root: 'C2', pad: ['G3', 'C4', 'E4', 'G4'], arp: ['E4', 'G4', 'C5', 'G4'] },
  { root: 'G1', pad: ['G3', 'B3', 'D4', 'F#4'], arp: ['D4', 'G4', 'B4', 'G4'] },
];
const chordOf = (bar: number) => PROGRESSION[bar % PROGRESSION.length];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, index) => from + index);
}

function drumPart(): NoteInput[] {
  const notes: NoteInput[] = [];
  // Intro: hats come in halfway.
  notes.push(...grid('..x...x...x...x.', GM_DRUMS.closedHat, INTRO + 4, 4, { x: 70, X: 90, o: 40 }));
  for (const [from, to, full] of [
    [VERSE, CHORUS, false],
    [CHORUS, BREAK, true],
    [CHORUS_2, OUTRO, true],
  ] as const) {
    notes.push(...grid('X...x...X...x...', GM_DRUMS.kick, from, to - from));
    notes.push(...grid('....X.......X..o', GM_DRUMS.snare, from, to - from));
    notes.push(...grid(full ? 'x.xox.xox.xox.xo' : 'x.x.x.x.x.x.x.x.', GM_DRUMS.closedHat, from, to - from, { x: 72, X: 96, o: 44 }));
    if (full) {
      notes.push(...grid('....x.......x...', GM_DRUMS.clap, from, to - from, { x: 84, X: 100, o: 50 }));
      // An open hat on the last off-beat of every second bar, choked by the next closed hat.
      for (const bar of range(from, to)) if (bar % 2 === 1) notes.push({ pitch: GM_DRUMS.openHat, start: at(bar, 14), length: steps(2), velocity: 80 });
    }
    // A snare fill into the next section.
    notes.push(...grid('....x.x.xxxxXXXX', GM_DRUMS.snare, to - 1, 1, { x: 70, X: 110, o: 40 }));
  }
  notes.push(...grid('X.......X.......', GM_DRUMS.kick, BREAK + 4, 4));
  notes.push({ pitch: GM_DRUMS.kick, start: at(OUTRO), length: steps(4), velocity: 120 });
  return notes;
}

function bassPart(): NoteInput[] {
  const notes: NoteInput[] = [];
  for (const bar of range(VERSE, BREAK).concat(range(CHORUS_2, OUTRO))) {
    const { root } = chordOf(bar);
    const busy = bar >= CHORUS;
    const pattern = busy ? [0, 2, 4, 6, 8, 10, 12, 14] : [0, 3, 6, 8, 11, 14];
    for (const step of pattern) {
      const octaveUp = busy && step % 4 === 2;
      notes.push({ pitch: octaveUp ? octave(root) : root, start: at(bar, step), length: steps(busy ? 2 : 3), velocity: step === 0 ? 112 : 92 });
    }
  }
  notes.push({ pitch: 'A1', start: at(OUTRO), length: steps(32), velocity: 100 });
  return notes;
}

function padPart(): NoteInput[] {
  const notes: NoteInput[] = [];
  for (const bar of range(INTRO, END)) {
    const inBreak = bar >= BREAK && bar < CHORUS_2;
    const fading = bar >= OUTRO ? Math.max(40, 80 - (bar - OUTRO) * 8) : inBreak ? 70 : 64;
    notes.push(...chord(chordOf(bar).pad, bar, 16, fading));
  }
  return notes;
}

function arpPart(): NoteInput[] {
  const notes: NoteInput[] = [];
  const bars = range(INTRO, VERSE).concat(range(CHORUS, BREAK), range(CHORUS_2, END));
  for (const bar of bars) {
    const { arp } = chordOf(bar);
    for (let step = 0; step < 16; step++) {
      const pitch = arp[step % arp.length];
      const accent = step % 4 === 0 ? 18 : 0;
      const fade = bar >= OUTRO ? (bar - OUTRO) * 9 : 0;
      notes.push({ pitch, start: at(bar, step), length: steps(1), velocity: Math.max(20, 70 + accent - fade) });
    }
  }
  return notes;
}

/** A minor pentatonic phrases; the seed picks among rhythmic variants per bar. */
function leadPart(): NoteInput[] {
  const next = random(BENCH_EDIT_SEED * 7919);
  const scale: Pitch[] = ['A4', 'C5', 'D5', 'E5', 'G5', 'A5'];
  const rhythms = [
    [0, 3, 6, 10, 12],
    [0, 4, 6, 8, 14],
    [2, 4, 7, 10],
    [0, 6, 8, 11, 12],
  ];
  const notes: NoteInput[] = [];
  let degree = 2;
  for (const bar of range(VERSE, CHORUS).concat(range(CHORUS + 4, BREAK), range(CHORUS_2 + 4, OUTRO))) {
    if (bar % 8 === 7) {
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

/** Bell answers in the chorus and the break: chord tones high up, sparse. */
function bellPart(): NoteInput[] {
  const notes: NoteInput[] = [];
  for (const bar of range(CHORUS, BREAK).concat(range(BREAK, CHORUS_2), range(CHORUS_2, OUTRO))) {
    if (bar % 2 === 0) continue;
    const [, third, fifth] = chordOf(bar).pad;
    notes.push({ pitch: octave(third), start: at(bar, 8), length: steps(4), velocity: 70 });
    notes.push({ pitch: octave(fifth), start: at(bar, 12), length: steps(4), velocity: 60 });
  }
  return notes;
}

function octave(pitch: Pitch): number {
  const names: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
  if (typeof pitch === 'number') return pitch + 12;
  const match = /^([A-G])(#|b)?(-?\d)$/.exec(pitch)!;
  return (Number(match[3]) + 1) * 12 + names[match[1]] + (match[2] === '#' ? 1 : match[2] === 'b' ? -1 : 0) + 12;
}

export default defineSong({
  title: 'Night Drive',
  tempo: 112,
  meter: [4, 4],
  sampleRate: 48000,
  seed: 2026,
  tail: 1,
  tracks: {
    drums: { instrument: drums(), gain: -3, notes: drumPart() },
    bass: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 320, resonance: 0.3, envAmount: 2 }, envelope: { attack: 0.003, decay: 0.2, sustain: 0.6, release: 0.08 } }),
      gain: -5,
      notes: bassPart(),
    },
    pad: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 900, resonance: 0.15, envAmount: 1 }, envelope: { attack: 0.4, decay: 0.8, sustain: 0.7, release: 1.2 } }),
      gain: -13,
      pan: -0.25,
      notes: padPart(),
    },
    arp: {
      instrument: synth({ wave: 'square', filter: { cutoff: 1400, resonance: 0.4, envAmount: 2.5 }, envelope: { attack: 0.002, decay: 0.15, sustain: 0.2, release: 0.1 } }),
      gain: -11,
      pan: 0.35,
      notes: arpPart(),
    },
    lead: {
      instrument: synth({ wave: 'saw', filter: { cutoff: 2200, resonance: 0.25, envAmount: 1.5 }, envelope: { attack: 0.01, decay: 0.3, sustain: 0.75, release: 0.25 } }),
      gain: -8,
      pan: 0.1,
      notes: leadPart(),
    },
    bell: {
      instrument: synth({ wave: 'sine', envelope: { attack: 0.001, decay: 0.6, sustain: 0, release: 0.6 } }),
      gain: -2,
      pan: -0.4,
      notes: bellPart(),
    },
  },
});
