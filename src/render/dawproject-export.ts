/**
 * The `dawproject` task: the project's XML from its params, the stems it reads (its
 * dependencies' outputs, in channel order) and the audio files of its audio clips (read by
 * project path and checked against the hashes in its key), zipped by src/io/dawproject.ts.
 */
import { decodeAudioFile, readAudioFileSync, sniffAudioFormat } from '../io/audio-file.ts';
import { fromDb } from '../dsp/levels.ts';
import { encodeDawproject, type DawChannel, type DawMedia, type DawPoint, type DawPoints } from '../io/dawproject.ts';
import type { AutomationIR } from '../ir/types.ts';
import { panToNormalized, type DawprojectTaskParams, type PlannedAutomation } from '../plan/dawproject.ts';
import { automationValueAt } from './automation-curve.ts';
import { readDeclaredFile } from './declared-file.ts';

/** Points written inside a curve the format cannot draw (exponential, bent, or a dB fade as linear gain). */
const POINTS_PER_CURVE = 16;
/** Points written per LFO cycle (straight lines between them). */
const POINTS_PER_CYCLE = 16;

/**
 * Automation as DAWproject points, in the target's unit (`map`). A segment the format draws
 * exactly (a step; a straight line when `map` is affine) is its two points; any other is
 * sampled at POINTS_PER_CURVE points, each on the curve mixdown renders.
 */
export function automationPoints(automation: AutomationIR, map: (value: number) => number, affine: boolean): DawPoint[] {
  const at = (sample: number, interpolation: DawPoint['interpolation']): DawPoint => ({ sample, value: map(automationValueAt(automation, sample)), interpolation });
  if (automation.lfo) {
    const { anchors } = automation.lfo;
    const out: DawPoint[] = [];
    for (let k = 1; k < anchors.length; k++) {
      const from = anchors[k - 1];
      const to = anchors[k];
      const steps = Math.max(1, Math.ceil((to.phase - from.phase) * POINTS_PER_CYCLE));
      for (let j = 0; j < steps; j++) out.push(at(from.sample + Math.round(((to.sample - from.sample) * j) / steps), 'linear'));
    }
    out.push(at(anchors[anchors.length - 1].sample, 'hold'));
    return dedupe(out);
  }
  const { points } = automation;
  const out: DawPoint[] = [];
  points.forEach((point, k) => {
    const next = points[k + 1];
    if (!next) {
      out.push({ sample: point.sample, value: map(point.value), interpolation: 'hold' });
      return;
    }
    const exact = next.shape === 'step' || next.sample <= point.sample || (affine && (next.shape === 'linear' || (next.shape === 'curve' && next.curve === 0)));
    out.push({ sample: point.sample, value: map(point.value), interpolation: next.shape === 'step' ? 'hold' : 'linear' });
    if (exact) return;
    for (let j = 1; j < POINTS_PER_CURVE; j++) out.push(at(point.sample + Math.round(((next.sample - point.sample) * j) / POINTS_PER_CURVE), 'linear'));
  });
  return dedupe(out);
}

/** One point per sample position: the later wins (a jump written as two points at one time keeps its last value). */
function dedupe(points: DawPoint[]): DawPoint[] {
  const out: DawPoint[] = [];
  for (const point of points) {
    if (out.length && out[out.length - 1].sample === point.sample) out[out.length - 1] = point;
    else out.push(point);
  }
  return out;
}

/** Planned automation as the format's points: gain in dB as linear gain (sampled: not affine), pan as 0…1. */
function toPoints(planned: PlannedAutomation | null): DawPoints | null {
  if (!planned) return null;
  return planned.target === 'gain' ? automationPoints(planned.automation, fromDb, false) : automationPoints(planned.automation, panToNormalized, true);
}

function channelPoints(channel: DawChannel<PlannedAutomation>): DawChannel {
  return {
    ...channel,
    volumeAutomation: toPoints(channel.volumeAutomation),
    panAutomation: toPoints(channel.panAutomation),
    sends: channel.sends.map((send) => ({ ...send, automation: toPoints(send.automation) })),
  };
}

export async function renderDawproject(params: DawprojectTaskParams, stems: readonly Uint8Array[], where: { readonly projectRoot: string; readonly file: string; readonly song: string }): Promise<Uint8Array> {
  const stemsById = new Map(params.stems.map((id, index) => [id, stems[index]]));
  const media = new Map<string, DawMedia>();
  for (const file of params.files) {
    const bytes = readDeclaredFile(where.projectRoot, file, where);
    // WAV and AIFF are read at their own rate; other formats through the decoder, at the song's.
    const format = sniffAudioFormat(bytes);
    const audio = format === 'wav' || format === 'aiff' ? readAudioFileSync(bytes, file.path) : await decodeAudioFile(bytes, file.path, params.project.sampleRate);
    media.set(file.path, { bytes, channels: audio.channels.length, sampleRate: audio.sampleRate, frames: audio.channels[0]?.length ?? 0 });
  }
  return encodeDawproject({ ...params.project, channels: params.project.channels.map(channelPoints) }, stemsById, media);
}
