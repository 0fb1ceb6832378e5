/**
 * The song's meter map and tempo map, from what the song wrote. Meter changes come first
 * (tempo points may be placed at bars:beats, which needs the meter map).
 */
import type { Meter, MeterChange, SongInput, TempoChange } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic, SourceLocation } from '../diagnostics/diagnostic.ts';
import { positionToTicks, TimeFormatError, ticksPerBar } from '../theory/time.ts';
import type { MeterPoint, TempoPoint } from '../ir/types.ts';

type Where = SourceLocation & { song: string; frame?: string };

function isMeter(value: unknown): value is Meter {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    Number.isInteger(value[0]) &&
    value[0] >= 1 &&
    value[0] <= 64 &&
    [1, 2, 4, 8, 16, 32].includes(value[1] as number)
  );
}

export function buildMeterMap(input: SongInput['meter'], where: Where, problems: Diagnostic[]): MeterPoint[] | undefined {
  const changes: readonly MeterChange[] =
    input === undefined ? [{ bar: 0, meter: [4, 4] }] : isMeter(input) ? [{ bar: 0, meter: input }] : Array.isArray(input) ? (input as readonly MeterChange[]) : [];
  const sorted = [...changes].sort((a, b) => a?.bar - b?.bar);
  const valid =
    sorted.length > 0 &&
    sorted[0]?.bar === 0 &&
    sorted.every((change, i) => change && Number.isInteger(change.bar) && change.bar >= 0 && isMeter(change.meter) && (i === 0 || change.bar > sorted[i - 1].bar));
  if (!valid) {
    problems.push(d.badMeter(where, input));
    return undefined;
  }
  const map: MeterPoint[] = [];
  let tick = 0;
  for (const [i, change] of sorted.entries()) {
    if (i > 0) {
      const previous = map[i - 1];
      tick = previous.tick + (change.bar - previous.bar) * ticksPerBar(previous);
    }
    map.push({ tick, bar: change.bar, numerator: change.meter[0], denominator: change.meter[1] });
  }
  return map;
}

function validBpm(bpm: unknown): bpm is number {
  return typeof bpm === 'number' && Number.isFinite(bpm) && bpm >= 1 && bpm <= 999;
}

export function buildTempoMap(input: SongInput['tempo'], meterMap: readonly MeterPoint[], where: Where, problems: Diagnostic[]): TempoPoint[] | undefined {
  if (typeof input === 'number') {
    if (!validBpm(input)) {
      problems.push(d.badTempo(where, input));
      return undefined;
    }
    return [{ tick: 0, bpm: input, rampToNext: false }];
  }
  if (!Array.isArray(input) || input.length === 0) {
    problems.push(d.badTempo(where, input));
    return undefined;
  }
  const points: TempoPoint[] = [];
  for (const change of input as readonly TempoChange[]) {
    if (!change || !validBpm(change.bpm)) {
      problems.push(d.badTempo(where, change?.bpm));
      return undefined;
    }
    let tick: number;
    try {
      tick = positionToTicks(change.at, meterMap);
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problems.push(d.badTime(where, `song '${where.song}' tempo change`, change.at, error.message));
      return undefined;
    }
    points.push({ tick, bpm: change.bpm, rampToNext: change.ramp === 'linear' });
  }
  points.sort((a, b) => a.tick - b.tick);
  const ordered = points.every((point, i) => i === 0 || point.tick > points[i - 1].tick);
  if (points[0].tick !== 0 || !ordered) {
    problems.push(d.badTempoMap(where, 'needs its first change at 0:0:0 and one change per position'));
    return undefined;
  }
  return points;
}
