/**
 * report.json: what a build made for one song — durations, peaks, digests, and which tasks
 * rendered and which came from the cache. Only facts derived from the sources: no times,
 * no host names, no absolute paths.
 */
import type { OutputPath, TaskResult } from '../plan/outputs.ts';
import type { ChannelIR, SongIR } from '../ir/types.ts';
import { OCTAVE_BANDS } from '../master/reference.ts';
import { reportDb } from '../dsp/levels.ts';
import { tickToBar } from '../theory/time.ts';

export interface ReportOutput {
  readonly path: string;
  readonly task: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Sample peak in dBFS, null for silence or for non-audio files. */
  readonly peakDb: number | null;
}

/** The master's loudness against its target: what `build --strict` checks. */
export interface MasterReport {
  /** Gain before the limiter (or the peak-safe gain), dB. */
  readonly gainDb: number | null;
  readonly peakDb: number | null;
  /** BS.1770 integrated loudness, LUFS (null for silence). */
  readonly integrated: number | null;
  /** Loudness range, LU. */
  readonly range: number | null;
  readonly truePeakDb: number | null;
  readonly momentaryMax: number | null;
  readonly shortTermMax: number | null;
  readonly limiterDb: number | null;
  readonly compressorDb: number | null;
  /** Limiter passes over the song: 1, or 2 when the first missed the target by more than 0.05 LU (0 without a limiter). */
  readonly passes: number | null;
  /** The target, when the song sets one. */
  readonly target: { readonly integrated: number; readonly tolerance: number; readonly ceilingDb: number } | null;
  /** Within tolerance of the target and under its ceiling (true when there is no target). */
  readonly meetsTarget: boolean;
  /** Deltas to the reference track (master minus reference), when the song names one. */
  readonly reference: ReferenceReport | null;
}

export interface ReferenceReport {
  readonly file: string;
  readonly integrated: number | null;
  readonly range: number | null;
  readonly truePeakDb: number | null;
  readonly sideToMidDb: number | null;
  readonly deltas: { readonly integrated: number | null; readonly range: number | null; readonly truePeakDb: number | null; readonly sideToMidDb: number | null };
  /** Per octave band: levels relative to each track's total, and the matching EQ applied (dB). */
  readonly bands: readonly { readonly hz: number; readonly master: number | null; readonly reference: number | null; readonly delta: number | null; readonly matchDb: number | null }[];
}

/** A channel strip as report.json lists it. */
export interface ChannelReport {
  readonly id: string;
  readonly name: string;
  readonly output: string;
  /** Insert effects in order, as `<slot id> (<plugin>)`. */
  readonly effects: readonly string[];
  /** Sends as `<bus> <level> dB [pre]`. */
  readonly sends: readonly string[];
  readonly mute: boolean;
}

export interface SongReport {
  readonly song: string;
  /** Variant name; null for the song as written. */
  readonly variant: string | null;
  readonly title: string;
  readonly file: string;
  readonly sampleRate: number;
  readonly durationSeconds: number;
  readonly lengthSamples: number;
  readonly lengthTicks: number;
  readonly key: string;
  readonly tempo: readonly { bar: number; tick: number; bpm: number; ramp: boolean }[];
  readonly meter: readonly { bar: number; meter: string }[];
  /** One per section occurrence, with its start in bars (1-based, as a DAW counts), ticks and seconds. */
  readonly markers: readonly { name: string; bar: number; tick: number; seconds: number }[];
  readonly tracks: readonly (ChannelReport & { notes: number; instrument: string })[];
  /** Buses in the song's order, with what feeds them. */
  readonly buses: readonly (ChannelReport & { inputs: readonly string[] })[];
  readonly master: MasterReport;
  readonly outputs: readonly ReportOutput[];
  readonly tasks: readonly { id: string; key: string; status: TaskResult['status']; remote?: true }[];
}

export function buildReport(song: SongIR, results: ReadonlyMap<string, TaskResult>, paths: readonly OutputPath[]): SongReport {
  const outputs: ReportOutput[] = [];
  for (const { task, output, path } of paths) {
    const result = results.get(task)!;
    const record = result.outputs[output];
    outputs.push({
      path,
      task,
      sha256: record.digest,
      bytes: record.bytes,
      peakDb: result.kind === 'midi' || result.kind === 'dawproject' ? null : reportDb(result.meta.peak ?? 0),
    });
  }
  const master = results.get('master')!;
  return {
    song: song.id,
    variant: song.variant,
    title: song.title,
    file: song.file,
    sampleRate: song.sampleRate,
    durationSeconds: Math.round((song.lengthSamples / song.sampleRate) * 1000) / 1000,
    lengthSamples: song.lengthSamples,
    lengthTicks: song.lengthTicks,
    key: `${song.key.tonic} ${song.key.mode}`,
    tempo: song.tempoMap.map((point) => ({ bar: tickToBar(song.meterMap, point.tick) + 1, tick: point.tick, bpm: point.bpm, ramp: point.rampToNext })),
    meter: song.meterMap.map((point) => ({ bar: point.bar + 1, meter: `${point.numerator}/${point.denominator}` })),
    markers: song.markers.map((marker) => ({ name: marker.name, bar: tickToBar(song.meterMap, marker.tick) + 1, tick: marker.tick, seconds: marker.seconds })),
    tracks: song.tracks.map((track) => ({ ...channelReport(track), notes: track.notes.length, instrument: track.instrument.plugin })),
    buses: song.buses.map((bus) => ({
      ...channelReport(bus),
      inputs: [...song.tracks, ...song.buses].filter((channel) => channel.output === bus.id || channel.sends.some((send) => send.to === bus.id)).map((channel) => channel.id),
    })),
    master: masterReport(song, master),
    outputs,
    tasks: [...results.values()].map((result) => ({ id: result.id, key: result.key, status: result.status, ...(result.remote ? { remote: true as const } : {}) })),
  };
}

const round2 = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? Math.round(value * 100) / 100 : null);

function masterReport(song: SongIR, result: TaskResult): MasterReport {
  const { meta } = result;
  const loudness = song.master.loudness;
  const integrated = round2(meta.integrated);
  const truePeakDb = round2(meta.truePeak);
  const meetsTarget =
    !loudness ||
    (integrated !== null && Math.abs((meta.integrated ?? 0) - loudness.target) <= loudness.tolerance && (meta.truePeak ?? 0) <= loudness.ceilingDb + 1e-9);
  return {
    gainDb: reportDb(meta.gain ?? 1),
    peakDb: reportDb(meta.peak ?? 0),
    integrated,
    range: round2(meta.range),
    truePeakDb,
    momentaryMax: round2(meta.momentaryMax),
    shortTermMax: round2(meta.shortTermMax),
    limiterDb: round2(meta.limiterDb),
    compressorDb: round2(meta.compressorDb),
    passes: meta.masterPasses ?? null,
    target: loudness ? { integrated: loudness.target, tolerance: loudness.tolerance, ceilingDb: loudness.ceilingDb } : null,
    meetsTarget,
    reference: song.master.reference ? referenceReport(song.master.reference.path, meta) : null,
  };
}

function referenceReport(file: string, meta: Readonly<Record<string, number>>): ReferenceReport {
  const delta = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) ? round2(a - b) : null);
  return {
    file,
    integrated: round2(meta.refIntegrated),
    range: round2(meta.refRange),
    truePeakDb: round2(meta.refTruePeak),
    sideToMidDb: round2(meta.refSideToMid),
    deltas: {
      integrated: delta(meta.integrated, meta.refIntegrated),
      range: delta(meta.range, meta.refRange),
      truePeakDb: delta(meta.truePeak, meta.refTruePeak),
      sideToMidDb: delta(meta.sideToMid, meta.refSideToMid),
    },
    bands: OCTAVE_BANDS.map((hz, i) => ({
      hz,
      master: round2(meta[`band${i}`]),
      reference: round2(meta[`refBand${i}`]),
      delta: delta(meta[`band${i}`], meta[`refBand${i}`]),
      matchDb: round2(meta[`match${i}`]),
    })),
  };
}

function channelReport(channel: ChannelIR): ChannelReport {
  return {
    id: channel.id,
    name: channel.name,
    output: channel.output,
    effects: channel.effects.map((slot) => (slot.id === slot.plugin ? slot.id : `${slot.id} (${slot.plugin})`)),
    sends: channel.sends.map((send) => `${send.to} ${send.levelDb} dB${send.pre ? ' pre' : ''}`),
    mute: channel.mute,
  };
}
