/**
 * `granular`: a granular texture instrument, written as a project plugin would be.
 *
 * Each note gets its own source: a virtual recording `SOURCE_SECONDS` long of a
 * band-limited tone at the note's pitch whose timbre swells from dark to bright and back
 * over the loop. Grains of `grainSize` seconds, Hann-windowed, start at random intervals
 * averaging `density` per second. A grain started t seconds into the note reads the
 * source at position t (± `spray` seconds of random jitter), at a random pitch offset of up
 * to ± `pitchJitter` cents, placed at a random spot within `spread` of the stereo centre.
 * With no spray and no jitter the grains line up with the source and overlap-add back
 * into it; spray and jitter smear it into a cloud around the same pitch.
 *
 * Everything random comes from the track's seed and the note's index, so a render is
 * repeatable and a different seed gives a different cloud.
 */
import { createRandom, defineInstrument } from 'mixdown';

export interface GranularOptions {
  /** Grain length, seconds. @default 0.08 */
  readonly grainSize: number;
  /** Average grains started per second per note. @default 30 */
  readonly density: number;
  /** Random jitter of each grain's read position in the source, ± seconds. @default 0.03 */
  readonly spray: number;
  /** Random pitch offset per grain, ± cents. @default 8 */
  readonly pitchJitter: number;
  /** Stereo spread 0–1: 0 keeps every grain centred, 1 places them anywhere left to right. @default 0.7 */
  readonly spread: number;
  /** Brightness of the source at its brightest, 0–1 (1: every harmonic at 1/k, like a saw). @default 0.7 */
  readonly brightness: number;
  /** Fade-in from note-on, seconds. @default 0.05 */
  readonly attack: number;
  /** Fade-out after note-off, seconds (grains keep starting until it ends). @default 0.3 */
  readonly release: number;
  /** Level at full velocity, dB. @default -10 */
  readonly level: number;
}

export const granularDefaults: GranularOptions = {
  grainSize: 0.08,
  density: 30,
  spray: 0.03,
  pitchJitter: 8,
  spread: 0.7,
  brightness: 0.7,
  attack: 0.05,
  release: 0.3,
  level: -10,
};

/** Length of each note's virtual recording: one full dark → bright → dark swell. */
const SOURCE_SECONDS = 2;
/** Single-cycle table length (a power of two, for masking). */
const TABLE_SIZE = 2048;
const TABLE_MASK = TABLE_SIZE - 1;


interface Tables {
  /** Fundamental plus a soft 1/k³ tail of harmonics. */
  readonly dark: Float64Array;
  /** Every harmonic at 1/k (scaled by brightness), over the dark table. */
  readonly bright: Float64Array;
}

const SINE = Float64Array.from({ length: TABLE_SIZE }, (_, j) => Math.sin((2 * Math.PI * j) / TABLE_SIZE));

/**
 * Additive single-cycle tables with no harmonic above `maxHarmonic`, so reading them at the
 * note's pitch (plus jitter) never aliases. Harmonic k of sample j is SINE[k·j mod N]: table
 * look-ups only.
 */
function buildTables(maxHarmonic: number, brightness: number): Tables {
  const dark = new Float64Array(TABLE_SIZE);
  const bright = new Float64Array(TABLE_SIZE);
  const top = Math.min(maxHarmonic, TABLE_SIZE / 2 - 1);
  for (let k = 1; k <= top; k++) {
    const darkAmp = 1 / (k * k * k);
    const brightAmp = k === 1 ? 1 : brightness / k + (1 - brightness) * darkAmp;
    for (let j = 0; j < TABLE_SIZE; j++) {
      const s = SINE[(k * j) & TABLE_MASK];
      dark[j] += darkAmp * s;
      bright[j] += brightAmp * s;
    }
  }
  return { dark, bright };
}

function hannWindow(length: number): Float64Array {
  return Float64Array.from({ length }, (_, j) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (j + 0.5)) / length));
}

interface Grain {
  /** Offset from note-on, samples. */
  onset: number;
  /** Morph from dark (0) to bright (1) at the grain's source position. */
  morph: number;
  /** Start phase in cycles and phase increment per sample. */
  phase: number;
  increment: number;
  left: number;
  right: number;
}

/** Draw a grain: the random choices for one grain, in a fixed order. */
function drawGrain(next: () => number, onset: number, frequency: number, options: Readonly<GranularOptions>, sampleRate: number): Grain {
  const position = onset / sampleRate + options.spray * (2 * next() - 1);
  const ratio = Math.pow(2, (options.pitchJitter * (2 * next() - 1)) / 1200);
  const pan = options.spread * (2 * next() - 1);
  const angle = ((pan + 1) * Math.PI) / 4;
  // Reading the recording at `position` means being frac(position·f0) into a cycle.
  const cycles = position * frequency;
  return {
    onset,
    morph: 0.5 - 0.5 * Math.cos((2 * Math.PI * position) / SOURCE_SECONDS),
    phase: cycles - Math.floor(cycles),
    increment: (frequency * ratio) / sampleRate,
    // √2 · constant power: a centred grain is at unity on both sides.
    left: Math.SQRT2 * Math.cos(angle),
    right: Math.SQRT2 * Math.sin(angle),
  };
}

/**
 * Note envelope at offset n: linear attack, then after note-off a (1 − t)² fade that
 * reaches exactly zero at the end of the release.
 */
function envelopeAt(n: number, attackSamples: number, gateSamples: number, releaseSamples: number): number {
  const rise = n < attackSamples ? n / attackSamples : 1;
  if (n < gateSamples) return rise;
  const x = 1 - (n - gateSamples) / releaseSamples;
  return x > 0 ? rise * x * x : 0;
}

export const granular = defineInstrument<GranularOptions>({
  name: 'granular',
  version: '1',
  defaults: granularDefaults,
  channels: 2,
  tail: (options) => options.release,
  validate(options) {
    const problems: string[] = [];
    if (!(options.grainSize >= 0.005 && options.grainSize <= 1)) problems.push('grainSize must be from 0.005 to 1 seconds');
    if (!(options.density > 0 && options.density <= 1000)) problems.push('density must be above 0 and at most 1000 grains per second');
    if (!(options.spray >= 0 && options.spray <= SOURCE_SECONDS)) problems.push(`spray must be from 0 to ${SOURCE_SECONDS} seconds`);
    if (!(options.pitchJitter >= 0 && options.pitchJitter <= 1200)) problems.push('pitchJitter must be from 0 to 1200 cents');
    if (!(options.spread >= 0 && options.spread <= 1)) problems.push('spread must be from 0 to 1');
    if (!(options.brightness >= 0 && options.brightness <= 1)) problems.push('brightness must be from 0 to 1');
    if (!(options.attack >= 0 && options.release >= 0)) problems.push('attack and release must not be negative');
    if (!Number.isFinite(options.level)) problems.push('level must be a number of dB');
    return problems;
  },
  render({ sampleRate, options, notes, output, seed }) {
    const [outLeft, outRight] = output;
    const length = outLeft.length;
    const grainSamples = Math.max(2, Math.round(options.grainSize * sampleRate));
    const window = hannWindow(grainSamples);
    const meanGap = sampleRate / options.density;
    // Grains in phase sum to about half the overlap (Hann's mean is ½): scale that to 1.
    const overlapGain = 1 / Math.max(1, 0.5 * options.density * options.grainSize);
    const attackSamples = Math.max(1, Math.round(options.attack * sampleRate));
    const releaseSamples = Math.max(1, Math.round(options.release * sampleRate));
    const tables = new Map<number, Tables>();
    notes.forEach((note, index) => {
      const frequency = 440 * Math.pow(2, (note.pitch - 69) / 12);
      const highestRatio = Math.pow(2, options.pitchJitter / 1200);
      const maxHarmonic = Math.floor((0.45 * sampleRate) / (frequency * highestRatio));
      if (maxHarmonic < 1 || note.startSample >= length) return;
      let source = tables.get(maxHarmonic);
      if (!source) tables.set(maxHarmonic, (source = buildTables(maxHarmonic, options.brightness)));
      const { dark, bright } = source;
      const velocity = note.velocity / 127;
      const gain = Math.pow(10, options.level / 20) * velocity * velocity * overlapGain;
      const end = note.lengthSamples + releaseSamples;
      const next = createRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
      for (let onset = 0; onset < end; onset += Math.max(1, Math.round(meanGap * (0.5 + next())))) {
        const grain = drawGrain(next, onset, frequency, options, sampleRate);
        const span = Math.min(grainSamples, end - onset, length - note.startSample - onset);
        let phase = grain.phase * TABLE_SIZE;
        const step = grain.increment * TABLE_SIZE;
        const morph = grain.morph;
        for (let j = 0; j < span; j++) {
          const at = phase | 0;
          const t = phase - at;
          const i0 = at & TABLE_MASK;
          const i1 = (at + 1) & TABLE_MASK;
          const d = dark[i0] + (dark[i1] - dark[i0]) * t;
          const b = bright[i0] + (bright[i1] - bright[i0]) * t;
          const n = onset + j;
          const s = (d + (b - d) * morph) * window[j] * gain * envelopeAt(n, attackSamples, note.lengthSamples, releaseSamples);
          const out = note.startSample + n;
          outLeft[out] += s * grain.left;
          outRight[out] += s * grain.right;
          phase += step;
          if (phase >= TABLE_SIZE) phase -= TABLE_SIZE;
        }
      }
    });
  },
});
