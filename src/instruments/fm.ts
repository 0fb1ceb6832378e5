/**
 * `fm`: a 2–4 operator FM synthesiser (phase modulation of sine operators, as in the DX7).
 *
 * Each operator is a sine at `ratio` × the note's frequency with its own ADSR. A modulator
 * adds its output to the phase of the operators it feeds; a carrier is heard. Operators are
 * numbered from 1 (the first in `operators`), and modulation always flows from a higher
 * number to a lower one, so one pass from the last operator to the first per sample computes
 * every algorithm. The algorithms:
 *
 * - `'stack'`: 4 → 3 → 2 → 1, one carrier (1). With 2 operators: 2 → 1.
 * - `'parallel'`: every operator is a carrier (additive; no modulation).
 * - `'pairs'`: 2 → 1 and 4 → 3, carriers 1 and 3 (with 3 operators, 3 is a plain carrier).
 * - `'branch'`: 2, 3 and 4 each modulate 1, one carrier (bright, several sideband families).
 * - `'fan'`: the last operator modulates all the others, which are carriers (an organ-like
 *   stack of related tones from one modulator).
 *
 * Levels: a carrier's `level` is its output amplitude; a modulator's `level` × `index` is its
 * peak modulation index in radians (β), so a modulator at ratio r gives sidebands at the
 * carrier's frequency ± k·r·f with amplitudes Jₖ(β). `feedback` (0–1) feeds an operator's own
 * output back into its phase (DX7 style, averaged over two samples for stability), up to
 * β = 1.5 at 1: a sine turns towards a saw.
 *
 * The sine is a 4096-point table with linear interpolation (error below -120 dB), cheaper
 * than Math.sin and identical on every platform. A note's carrier with ratio 1 sits exactly
 * on the note's equal-tempered frequency. Mono (`channels: 1`).
 */
import { defineInstrument } from '../api/define-instrument.ts';
import { AdsrEnvelope, type Adsr } from '../dsp/envelope.ts';
import { midiToFrequency } from '../theory/pitch.ts';
import type { Decibels } from '../theory/units.ts';
import { levelAndProgramProblems } from './checks.ts';

export type FmAlgorithm = 'stack' | 'parallel' | 'pairs' | 'branch' | 'fan';
export const FM_ALGORITHMS: readonly FmAlgorithm[] = ['stack', 'parallel', 'pairs', 'branch', 'fan'];

export interface FmOperator {
  /** Frequency as a multiple of the note's (1 is the note, 2 an octave up, 3.5 inharmonic). */
  readonly ratio: number;
  /** A carrier's output amplitude, or a modulator's modulation index in radians (× `index`). */
  readonly level: number;
  /** The operator's ADSR: a modulator's envelope shapes the brightness over the note. */
  readonly envelope: Adsr;
  /** Self-modulation 0–1 (1: β = 1.5, a saw-like spectrum). @default 0 */
  readonly feedback?: number;
}

export interface FmOptions {
  /** 2–4 operators; the first is operator 1. @default a 2-operator electric piano (1:1, decaying modulator) */
  readonly operators: readonly FmOperator[];
  /** How the operators connect: 'stack', 'parallel', 'pairs', 'branch' or 'fan' (see the module doc). @default 'stack' */
  readonly algorithm: FmAlgorithm;
  /** Scales every modulator's level: the brightness knob. @default 1 */
  readonly index: number;
  /** How much velocity scales the modulation index: 0 none, 1 index × velocity/127 (harder is brighter). @default 0.5 */
  readonly velocityToIndex: number;
  /** Transpose in octaves. @default 0 */
  readonly octave: number;
  /** Fine tune in cents. @default 0 */
  readonly detune: number;
  /** How strongly velocity sets the level: 0 ignores it, 1 gives gain (velocity/127)². @default 1 */
  readonly velocitySensitivity: number;
  /** Output level in dB at full velocity. @default -6 */
  readonly level: Decibels;
  /** General MIDI program (0–127) written to the exported MIDI file. @default 4 (Electric Piano 1) */
  readonly program: number;
}

export const fmDefaults: FmOptions = {
  operators: [
    { ratio: 1, level: 1, envelope: { attack: 0.002, decay: 1.5, sustain: 0.3, release: 0.4 }, feedback: 0 },
    { ratio: 1, level: 1.8, envelope: { attack: 0.001, decay: 0.6, sustain: 0.15, release: 0.3 }, feedback: 0 },
  ],
  algorithm: 'stack',
  index: 1,
  velocityToIndex: 0.5,
  octave: 0,
  detune: 0,
  velocitySensitivity: 1,
  level: -6,
  program: 4,
};

/** modulates[i][j]: operator j modulates operator i (0-based; j > i). carriers[i]: i is heard. */
function routing(algorithm: FmAlgorithm, count: number): { modulates: number[][]; carriers: number[] } {
  const modulates = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
  const carriers = [0, 0, 0, 0];
  switch (algorithm) {
    case 'stack':
      for (let i = 0; i + 1 < count; i++) modulates[i][i + 1] = 1;
      carriers[0] = 1;
      break;
    case 'parallel':
      for (let i = 0; i < count; i++) carriers[i] = 1;
      break;
    case 'pairs':
      modulates[0][1] = 1;
      carriers[0] = 1;
      if (count === 3) carriers[2] = 1;
      if (count === 4) {
        modulates[2][3] = 1;
        carriers[2] = 1;
      }
      break;
    case 'branch':
      for (let j = 1; j < count; j++) modulates[0][j] = 1;
      carriers[0] = 1;
      break;
    case 'fan':
      for (let i = 0; i + 1 < count; i++) {
        modulates[i][count - 1] = 1;
        carriers[i] = 1;
      }
      break;
  }
  return { modulates, carriers };
}

const TABLE_SIZE = 4096;
/** One sine cycle plus a guard point, so interpolation at the last index needs no wrap. */
const SINE = new Float64Array(TABLE_SIZE + 1);
for (let i = 0; i <= TABLE_SIZE; i++) SINE[i] = Math.sin((2 * Math.PI * i) / TABLE_SIZE);
const table = SINE;

/** sin(2π·x) for x in cycles (|x| < 2^19: phases stay in [0, 1) and modulation is a few cycles). */
function sineCycles(x: number): number {
  const position = x * TABLE_SIZE;
  const whole = Math.floor(position);
  const i = whole & (TABLE_SIZE - 1);
  const a = table[i];
  return a + (table[i + 1] - a) * (position - whole);
}
const sine = sineCycles;

function frac(x: number): number {
  return x - Math.floor(x);
}

const BLOCK = 32;
const TWO_PI = 2 * Math.PI;
/** Feedback 1 → β = 1.5: as far as the two-sample average stays a smooth saw-like tone. */
const FEEDBACK_BETA = 1.5;

/**
 * Layout of the per-block constants the sample loops read: increments, feedback scales,
 * routing (m12 m13 m14 m23 m24 m34), carrier flags, and the amplitudes at the block's start
 * with their per-sample slopes. The loops live in their own small functions, one per
 * operator count, so V8 optimises each for one shape (a loop with both shapes inline ran
 * the slower shape three times slower once the other had been optimised first).
 */
const D = 0, FB = 4, M = 8, C = 14, A = 18, S = 22, CONSTANTS = 26;

/** Operators 1 and 2 for `n` samples into `out`; `state` is [p1..p4, y1..y4, z1..z4]. */
function twoOperators(state: Float64Array, k: Float64Array, out: Float64Array, n: number): void {
  const d1 = k[D], d2 = k[D + 1], fb1 = k[FB], fb2 = k[FB + 1], m12 = k[M], c1 = k[C], c2 = k[C + 1];
  const s1 = k[S], s2 = k[S + 1];
  let a1 = k[A], a2 = k[A + 1];
  let p1 = state[0], p2 = state[1], y1 = state[4], y2 = state[5], z1 = state[8], z2 = state[9];
  for (let j = 0; j < n; j++) {
    const w2 = sine(p2 + fb2 * (y2 + z2));
    const o2 = a2 * w2;
    const w1 = sine(p1 + fb1 * (y1 + z1) + m12 * o2);
    const o1 = a1 * w1;
    z1 = y1; y1 = w1;
    z2 = y2; y2 = w2;
    out[j] = c1 * o1 + c2 * o2;
    p1 += d1; if (p1 >= 1) p1 -= 1;
    p2 += d2; if (p2 >= 1) p2 -= 1;
    a1 += s1; a2 += s2;
  }
  state[0] = p1; state[1] = p2; state[4] = y1; state[5] = y2; state[8] = z1; state[9] = z2;
}

/** Operators 1–4 (an absent one has amplitude 0) for `n` samples into `out`. */
function fourOperators(state: Float64Array, k: Float64Array, out: Float64Array, n: number): void {
  const d1 = k[D], d2 = k[D + 1], d3 = k[D + 2], d4 = k[D + 3];
  const fb1 = k[FB], fb2 = k[FB + 1], fb3 = k[FB + 2], fb4 = k[FB + 3];
  const m12 = k[M], m13 = k[M + 1], m14 = k[M + 2], m23 = k[M + 3], m24 = k[M + 4], m34 = k[M + 5];
  const c1 = k[C], c2 = k[C + 1], c3 = k[C + 2], c4 = k[C + 3];
  const s1 = k[S], s2 = k[S + 1], s3 = k[S + 2], s4 = k[S + 3];
  let a1 = k[A], a2 = k[A + 1], a3 = k[A + 2], a4 = k[A + 3];
  let p1 = state[0], p2 = state[1], p3 = state[2], p4 = state[3];
  let y1 = state[4], y2 = state[5], y3 = state[6], y4 = state[7];
  let z1 = state[8], z2 = state[9], z3 = state[10], z4 = state[11];
  for (let j = 0; j < n; j++) {
    const w4 = sine(p4 + fb4 * (y4 + z4));
    const o4 = a4 * w4;
    const w3 = sine(p3 + fb3 * (y3 + z3) + m34 * o4);
    const o3 = a3 * w3;
    const w2 = sine(p2 + fb2 * (y2 + z2) + m23 * o3 + m24 * o4);
    const o2 = a2 * w2;
    const w1 = sine(p1 + fb1 * (y1 + z1) + m12 * o2 + m13 * o3 + m14 * o4);
    const o1 = a1 * w1;
    z1 = y1; y1 = w1;
    z2 = y2; y2 = w2;
    z3 = y3; y3 = w3;
    z4 = y4; y4 = w4;
    out[j] = c1 * o1 + c2 * o2 + c3 * o3 + c4 * o4;
    p1 += d1; if (p1 >= 1) p1 -= 1;
    p2 += d2; if (p2 >= 1) p2 -= 1;
    p3 += d3; if (p3 >= 1) p3 -= 1;
    p4 += d4; if (p4 >= 1) p4 -= 1;
    a1 += s1; a2 += s2; a3 += s3; a4 += s4;
  }
  state[0] = p1; state[1] = p2; state[2] = p3; state[3] = p4;
  state[4] = y1; state[5] = y2; state[6] = y3; state[7] = y4;
  state[8] = z1; state[9] = z2; state[10] = z3; state[11] = z4;
}

export const fm = defineInstrument<FmOptions>({
  name: 'fm',
  version: '1',
  defaults: fmDefaults,
  channels: 1,
  tail: (options) => Math.max(0, ...options.operators.map((operator) => operator.envelope.release)),
  midi: (options) => ({ program: options.program }),
  validate(options) {
    const problems: string[] = [];
    const ops = options.operators;
    if (!Array.isArray(ops) || ops.length < 2 || ops.length > 4) problems.push('operators must list 2 to 4 operators');
    else
      ops.forEach((operator, i) => {
        const at = `operators[${i}]`;
        if (!(operator.ratio > 0 && operator.ratio <= 64)) problems.push(`${at}.ratio must be above 0 and at most 64`);
        if (!(operator.level >= 0 && operator.level <= 32)) problems.push(`${at}.level must be from 0 to 32`);
        const fb = operator.feedback ?? 0;
        if (!(fb >= 0 && fb <= 1)) problems.push(`${at}.feedback must be from 0 to 1`);
        const env = operator.envelope;
        if (!env || !(env.attack >= 0 && env.decay >= 0 && env.release >= 0)) problems.push(`${at}.envelope times must not be negative`);
        else if (!(env.sustain >= 0 && env.sustain <= 1)) problems.push(`${at}.envelope.sustain must be from 0 to 1`);
      });
    if (!FM_ALGORITHMS.includes(options.algorithm)) problems.push(`algorithm must be one of ${FM_ALGORITHMS.join(', ')}, got '${options.algorithm}'`);
    if (!(options.index >= 0 && options.index <= 32)) problems.push('index must be from 0 to 32');
    if (!(options.velocityToIndex >= 0 && options.velocityToIndex <= 1)) problems.push('velocityToIndex must be from 0 to 1');
    if (!(options.velocitySensitivity >= 0 && options.velocitySensitivity <= 1)) problems.push('velocitySensitivity must be from 0 to 1');
    problems.push(...levelAndProgramProblems(options));
    return problems;
  },
  render({ sampleRate, options, notes, output }) {
    const length = output[0]?.length ?? 0;
    const ops = options.operators;
    const count = ops.length;
    const { modulates, carriers } = routing(options.algorithm, count);
    // m[i][j] as mIJ (1-based names), carriers as cN: the per-sample loops' constants.
    const m12 = modulates[0][1], m13 = modulates[0][2], m14 = modulates[0][3];
    const m23 = modulates[1][2], m24 = modulates[1][3];
    const m34 = modulates[2][3];
    const c1 = carriers[0], c2 = carriers[1], c3 = carriers[2], c4 = carriers[3];
    const isModulator = [0, 1, 2, 3].map((j) => modulates.some((row) => row[j] === 1));
    const ratio = [0, 1, 2, 3].map((i) => (i < count ? ops[i].ratio : 0));
    // Feedback in cycles of phase per unit of (averaged) output.
    const fbScale = [0, 1, 2, 3].map((i) => (i < count ? ((ops[i].feedback ?? 0) * FEEDBACK_BETA) / TWO_PI / 2 : 0));
    const fb1 = fbScale[0], fb2 = fbScale[1], fb3 = fbScale[2], fb4 = fbScale[3];
    const level = Math.pow(10, options.level / 20);
    const tuning = options.octave * 12 + options.detune / 100;
    const sensitivity = options.velocitySensitivity;
    const v2i = options.velocityToIndex;
    const block = new Float64Array(BLOCK);
    const state = new Float64Array(12);
    const constants = new Float64Array(CONSTANTS);
    constants.set([fb1, fb2, fb3, fb4], FB);
    constants.set([m12, m13, m14, m23, m24, m34], M);
    constants.set([c1, c2, c3, c4], C);
    for (const note of notes) {
      const start = note.startSample;
      const frequency = midiToFrequency(note.pitch + tuning);
      const base = frequency / sampleRate;
      // A carrier at or above Nyquist is only aliasing: leave the note out.
      if (!(base > 0) || start >= length || ratio.some((r, i) => carriers[i] === 1 && r * base >= 0.5)) continue;
      const velocity = note.velocity / 127;
      const gain = level * (1 - sensitivity + sensitivity * velocity * velocity);
      const indexScale = options.index * (1 - v2i + v2i * velocity);
      // Per operator: what one unit of envelope means. Modulators: β in cycles; carriers: output gain.
      const scale = [0, 1, 2, 3].map((i) => (i >= count ? 0 : isModulator[i] ? (ops[i].level * indexScale) / TWO_PI : ops[i].level * gain));
      const envelopes = ops.map((operator) => new AdsrEnvelope(operator.envelope, sampleRate, note.lengthSamples));
      // The note lasts until its last carrier falls silent.
      let total = 0;
      for (let i = 0; i < count; i++) if (carriers[i] === 1) total = Math.max(total, envelopes[i].totalSamples);
      const span = Math.min(length - start, total);
      // Whole cycles per sample change nothing in a sine's phase: keep increments below 1 so a
      // single subtraction wraps them.
      const d1 = frac(ratio[0] * base), d2 = frac(ratio[1] * base), d3 = frac(ratio[2] * base), d4 = frac(ratio[3] * base);
      // Per-voice state: phases, then the last two sines of each operator (feedback averages them).
      state.fill(0);
      constants[D] = d1; constants[D + 1] = d2; constants[D + 2] = d3; constants[D + 3] = d4;
      for (let offset = 0; offset < span; ) {
        let blockEnd = Math.min(offset + BLOCK, span);
        for (let i = 0; i < count; i++) blockEnd = Math.min(blockEnd, envelopes[i].nextBreak(offset));
        const n = blockEnd - offset;
        // Envelopes exact at block edges (every corner is one) and linear between them.
        for (let i = 0; i < count; i++) {
          const from = envelopes[i].at(offset) * scale[i];
          constants[A + i] = from;
          constants[S + i] = (envelopes[i].at(blockEnd) * scale[i] - from) / n;
        }
        const at = start + offset;
        const skip = at < 0 ? Math.min(n, -at) : 0;
        if (count === 2) twoOperators(state, constants, block, n);
        else fourOperators(state, constants, block, n);
        // Songs never start a note before sample 0; if a host did, those samples are cut.
        for (const channel of output) for (let j = skip; j < n; j++) channel[at + j] += block[j];
        offset = blockEnd;
      }
    }
  },
});
