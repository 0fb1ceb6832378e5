/**
 * A stem: one track's instrument rendered over the whole song, then its fader and pan.
 * Stems are post-fader, pre-bus, 32-bit float stereo, all the song's length, so they
 * line up when dropped into a DAW.
 */
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import type { StemParams } from '../plan/graph.ts';
import { fromDb } from './levels.ts';
import { findInstrument } from './registry.ts';

export interface StemContext {
  readonly song: string;
  readonly file: string;
}

export function renderStem(params: StemParams, where: StemContext): [Float32Array, Float32Array] {
  const output: [Float32Array, Float32Array] = [new Float32Array(params.lengthSamples), new Float32Array(params.lengthSamples)];
  if (params.mute) return output;
  const definition = findInstrument(params.instrument.plugin);
  const location = { file: where.file, song: where.song, track: params.trackId };
  if (!definition) throw new MixdownError(d.unknownInstrument(location, params.instrument.plugin, []));
  try {
    definition.render({
      sampleRate: params.sampleRate,
      options: params.instrument.options,
      notes: params.notes,
      output,
      seed: params.seed,
    });
  } catch (error) {
    throw new MixdownError(d.instrumentThrew(location, params.instrument.plugin, error instanceof Error ? error.message : String(error)));
  }
  applyFaderAndPan(output, params.gainDb, params.pan);
  return output;
}

/**
 * Constant-power pan law: at centre each side gets cos(π/4) = -3 dB, hard left or right
 * gets 0 dB on that side. Applied to a stereo instrument it works as a balance control.
 */
export function panGains(pan: number): [number, number] {
  const angle = ((pan + 1) * Math.PI) / 4;
  return [Math.cos(angle), Math.sin(angle)];
}

function applyFaderAndPan(output: [Float32Array, Float32Array], gainDb: number, pan: number): void {
  const gain = fromDb(gainDb);
  const [left, right] = panGains(pan);
  const gainLeft = gain * left;
  const gainRight = gain * right;
  const [l, r] = output;
  for (let i = 0; i < l.length; i++) {
    l[i] *= gainLeft;
    r[i] *= gainRight;
  }
}
