/**
 * The one conversion module for musical time. Every position and length in mixdown
 * passes through here: user Time → ticks (exact integers at PPQ 960) through the meter
 * map, and ticks → seconds → samples through the tempo map.
 */
import { PPQ, type Time } from './units.ts';

export interface TempoPoint {
  readonly tick: number;
  readonly bpm: number;
  /** True when the tempo glides linearly (in ticks) from this point's bpm to the next point's. */
  readonly rampToNext: boolean;
}

export interface MeterPoint {
  readonly tick: number;
  /** Bar index (0-based) at which this meter starts. */
  readonly bar: number;
  readonly numerator: number;
  readonly denominator: number;
}

/** Thrown for a Time value that cannot be read; elaborate turns it into a coded diagnostic. */
export class TimeFormatError extends Error {}

const BBT_PATTERN = /^(\d+):(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$/;
const NOTE_VALUE_PATTERN = /^(\d+)(n|t|m)(\.?)$/;

/** Ticks in one beat of a meter with this denominator (a quarter is PPQ). */
export function ticksPerBeat(denominator: number): number {
  return (PPQ * 4) / denominator;
}

/** Ticks in one bar of a meter. */
export function ticksPerBar(meter: { numerator: number; denominator: number }): number {
  return meter.numerator * ticksPerBeat(meter.denominator);
}

/** The meter in force at a tick. */
export function meterAtTick(meterMap: readonly MeterPoint[], tick: number): MeterPoint {
  let current = meterMap[0];
  for (const point of meterMap) if (point.tick <= tick) current = point;
  return current;
}

/** Start tick of a (0-based, possibly fractional) bar index. */
export function barToTick(meterMap: readonly MeterPoint[], bar: number): number {
  let current = meterMap[0];
  for (const point of meterMap) if (point.bar <= bar) current = point;
  return current.tick + (bar - current.bar) * ticksPerBar(current);
}

/** 0-based bar index that contains a tick. */
export function tickToBar(meterMap: readonly MeterPoint[], tick: number): number {
  const meter = meterAtTick(meterMap, tick);
  return meter.bar + Math.floor((tick - meter.tick) / ticksPerBar(meter));
}

/**
 * Convert a position to an absolute tick. Bars:beats:ticks counts from 0:0:0 at bar
 * `originBar` (0: the song's start; a section's first bar for a part's notes); note values
 * and object forms measure from that bar's start.
 */
export function positionToTicks(time: Time, meterMap: readonly MeterPoint[], originBar = 0, clock?: TempoClock): number {
  const originTick = barToTick(meterMap, originBar);
  if (typeof time === 'string') {
    const bbt = BBT_PATTERN.exec(time.trim());
    if (bbt) {
      const barTick = barToTick(meterMap, originBar + Number(bbt[1]));
      const meter = meterAtTick(meterMap, barTick);
      return exact(barTick + Number(bbt[2]) * ticksPerBeat(meter.denominator) + Number(bbt[3] ?? 0), time);
    }
  }
  // Note values and object forms measure from the origin, with the meter in force there.
  return originTick + lengthToTicks(time, meterMap, originTick, clock);
}

/**
 * Convert a length to ticks. `'1m'` and `{ bars }` use the meter in force at `atTick`;
 * `{ seconds }` the tempo from `atTick` on (so it needs the song's clock).
 */
export function lengthToTicks(time: Time, meterMap: readonly MeterPoint[], atTick: number, clock?: TempoClock): number {
  const meter = meterAtTick(meterMap, atTick);
  if (typeof time === 'string') {
    const text = time.trim();
    const bbt = BBT_PATTERN.exec(text);
    if (bbt) {
      return exact(
        Number(bbt[1]) * ticksPerBar(meter) + Number(bbt[2]) * ticksPerBeat(meter.denominator) + Number(bbt[3] ?? 0),
        time,
      );
    }
    const value = NOTE_VALUE_PATTERN.exec(text);
    if (value) {
      const count = Number(value[1]);
      if (value[2] === 'm') return exact(count * ticksPerBar(meter), time);
      if (count === 0 || (count & (count - 1)) !== 0) throw new TimeFormatError(`note value 1/${count} is not a power of two`);
      let length = (PPQ * 4) / count;
      if (value[2] === 't') length = (length * 2) / 3;
      if (value[3] === '.') length *= 1.5;
      return exact(length, time);
    }
    throw new TimeFormatError(`cannot read '${time}'`);
  }
  if (typeof time === 'object' && time !== null) {
    if ('ticks' in time && typeof time.ticks === 'number') return exact(time.ticks, time);
    if ('beats' in time && typeof time.beats === 'number') return exact(time.beats * ticksPerBeat(meter.denominator), time);
    if ('bars' in time && typeof time.bars === 'number') return exact(time.bars * ticksPerBar(meter), time);
    if ('seconds' in time && typeof time.seconds === 'number') {
      if (!clock) throw new TimeFormatError('seconds need the tempo map, which is not known here (a tempo change cannot be placed in seconds)');
      if (!Number.isFinite(time.seconds)) throw new TimeFormatError('not a finite number');
      // Rounded to the nearest tick: the one place a time is not exact, said in the docs.
      return Math.round(clock.ticksAt(clock.seconds(atTick) + time.seconds)) - atTick;
    }
  }
  throw new TimeFormatError(typeof time === 'number' ? 'a bare number has no unit' : 'unknown form');
}

/** Ticks must be whole: a fractional tick would make the MIDI file and the audio disagree. */
function exact(value: number, source: unknown): number {
  if (!Number.isFinite(value)) throw new TimeFormatError('not a finite number');
  const rounded = Math.round(value);
  if (Math.abs(rounded - value) > 1e-6) {
    throw new TimeFormatError(`${JSON.stringify(source)} is ${value} ticks, not a whole number of ticks at PPQ ${PPQ}`);
  }
  return rounded;
}

/**
 * Tick → seconds through a tempo map of steps and linear ramps. Precomputes the seconds at
 * every tempo point once, so converting every note of a song is linear, not quadratic.
 * A ramp is linear in ticks, so its time is the integral of 60 / (PPQ · bpm(tick)):
 * (Δticks / Δbpm) · ln(bpm(t) / bpm₀) · 60 / PPQ.
 */
export class TempoClock {
  private readonly points: readonly TempoPoint[];
  private readonly secondsAtPoint: Float64Array;

  constructor(tempoMap: readonly TempoPoint[]) {
    this.points = tempoMap;
    this.secondsAtPoint = new Float64Array(tempoMap.length);
    for (let i = 1; i < tempoMap.length; i++) this.secondsAtPoint[i] = this.secondsAtPoint[i - 1] + this.segmentSeconds(i - 1, tempoMap[i].tick);
  }

  /** The point whose segment holds `tick`. */
  private indexAt(tick: number): number {
    // Tempo maps are short; a scan from the end is simpler than a search and as fast.
    for (let i = this.points.length - 1; i > 0; i--) if (this.points[i].tick <= tick) return i;
    return 0;
  }

  /** Seconds from point `index` to `tick` (within its segment). */
  private segmentSeconds(index: number, tick: number): number {
    const point = this.points[index];
    const next = this.points[index + 1];
    const elapsed = tick - point.tick;
    if (!point.rampToNext || !next || next.bpm === point.bpm) return (elapsed * 60) / (point.bpm * PPQ);
    const span = next.tick - point.tick;
    const slope = (next.bpm - point.bpm) / span;
    const bpmHere = point.bpm + slope * Math.min(elapsed, span);
    const rampSeconds = (60 / PPQ) * (Math.log(bpmHere / point.bpm) / slope);
    // Past the ramp's end (only when the last point ramps to nothing) the end tempo holds.
    return elapsed <= span ? rampSeconds : rampSeconds + ((elapsed - span) * 60) / (next.bpm * PPQ);
  }

  seconds(tick: number): number {
    const index = this.indexAt(tick);
    return this.secondsAtPoint[index] + this.segmentSeconds(index, tick);
  }

  /** The (fractional) tick at which `seconds` have passed: the inverse of seconds(). */
  ticksAt(seconds: number): number {
    let index = 0;
    for (let i = this.points.length - 1; i > 0; i--) {
      if (this.secondsAtPoint[i] <= seconds) {
        index = i;
        break;
      }
    }
    const point = this.points[index];
    const next = this.points[index + 1];
    const elapsed = seconds - this.secondsAtPoint[index];
    if (!point.rampToNext || !next || next.bpm === point.bpm) return point.tick + (elapsed * point.bpm * PPQ) / 60;
    const span = next.tick - point.tick;
    const slope = (next.bpm - point.bpm) / span;
    const rampSeconds = this.secondsAtPoint[index + 1] - this.secondsAtPoint[index];
    if (elapsed > rampSeconds) return next.tick + ((elapsed - rampSeconds) * next.bpm * PPQ) / 60;
    // Inverting seconds = (60 / PPQ) · ln(bpm / bpm₀) / slope.
    return point.tick + (point.bpm * (Math.exp((elapsed * slope * PPQ) / 60) - 1)) / slope;
  }

  /** Tempo in force at a tick (interpolated inside a ramp). */
  bpmAt(tick: number): number {
    const index = this.indexAt(tick);
    const point = this.points[index];
    const next = this.points[index + 1];
    if (!point.rampToNext || !next) return point.bpm;
    return point.bpm + ((next.bpm - point.bpm) * (tick - point.tick)) / (next.tick - point.tick);
  }

  /** The sample a tick falls on: round(seconds × rate). */
  sample(tick: number, sampleRate: number): number {
    return Math.round(this.seconds(tick) * sampleRate);
  }
}
