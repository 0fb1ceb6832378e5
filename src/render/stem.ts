/**
 * A stem: one track's instrument rendered over the whole song, then its fader and pan.
 * Stems are post-fader, pre-bus, 32-bit float stereo, all the song's length, so they
 * line up when dropped into a DAW.
 */
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import { MixdownError } from '../diagnostics/diagnostic.ts';
import type { StemParams } from '../plan/graph.ts';
import { createFloat32Wav, finishFloat32Wav } from '../io/wav.ts';
import { fromDb } from './levels.ts';
import { findInstrument } from './registry.ts';

export interface StemContext {
  readonly song: string;
  readonly file: string;
}

export interface RenderedStem {
  /** The stem as a stereo 32-bit float WAV file. */
  readonly wav: Uint8Array;
  /** Its sample peak (linear). */
  readonly peak: number;
}

/** Render a track's instrument, then write it through fader and pan into a stereo float WAV. */
export function renderStem(params: StemParams, where: StemContext): RenderedStem {
  const definition = findInstrument(params.instrument.plugin);
  const location = { file: where.file, song: where.song, track: params.trackId };
  if (!definition) throw new MixdownError(d.unknownInstrument(location, params.instrument.plugin, []));
  const channelCount = definition.channels ?? 2;
  const output = Array.from({ length: channelCount }, () => new Float32Array(params.mute ? 0 : params.lengthSamples));
  if (!params.mute) {
    try {
      definition.render({ sampleRate: params.sampleRate, options: params.instrument.options, notes: params.notes, output, seed: params.seed });
    } catch (error) {
      throw new MixdownError(d.instrumentThrew(location, params.instrument.plugin, error instanceof Error ? error.message : String(error)));
    }
  }
  return writeStereo(output, params);
}

/**
 * Constant-power pan law: at centre each side gets cos(π/4) = -3 dB, hard left or right
 * gets 0 dB on that side. Applied to a stereo instrument it works as a balance control.
 */
export function panGains(pan: number): [number, number] {
  const angle = ((pan + 1) * Math.PI) / 4;
  // cos(π/2) is 6e-17, not 0: a hard-panned track must leave the other side truly silent.
  const exact = (gain: number) => (Math.abs(gain) < 1e-12 ? 0 : gain);
  return [exact(Math.cos(angle)), exact(Math.sin(angle))];
}

/** One pass: fader and pan applied while interleaving into the file, peak measured on the way. */
function writeStereo(output: readonly Float32Array[], params: StemParams): RenderedStem {
  const frames = params.lengthSamples;
  const { bytes, samples } = createFloat32Wav(frames, 2, params.sampleRate);
  if (params.mute) return { wav: finishFloat32Wav(bytes, samples), peak: 0 };
  const gain = fromDb(params.gainDb);
  const [panLeft, panRight] = panGains(params.pan);
  const gainLeft = gain * panLeft;
  const gainRight = gain * panRight;
  const left = output[0];
  const right = output[1] ?? output[0];
  let peak = 0;
  for (let i = 0, j = 0; i < frames; i++, j += 2) {
    samples[j] = left[i] * gainLeft;
    samples[j + 1] = right[i] * gainRight;
    // Measured on the stored float32 values: the peak of the written file.
    const magnitude = Math.max(Math.abs(samples[j]), Math.abs(samples[j + 1]));
    if (magnitude > peak) peak = magnitude;
  }
  return { wav: finishFloat32Wav(bytes, samples), peak };
}
