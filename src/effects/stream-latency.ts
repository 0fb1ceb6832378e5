/**
 * Streams that read ahead. A few effects shape sample n from input after n: the compressor's
 * lookahead (the gain for n is the one the key reaches at n + lookahead) and saturation's
 * oversampling (linear-phase filters, and drive ramps read at the end of each 32-sample
 * step). Over a whole song in memory that is free; a block stream cannot see the next block,
 * so such a stream runs late instead: it declares `latency`, and the block it processes at
 * `start` holds the output for frames start − latency … (silence before frame 0).
 *
 * The engine compensates: after the song's last block it feeds `latency` more frames of
 * silence (the stream ignores their key and automation, and treats them as silence whatever
 * they hold), and drops the first `latency` output frames. The aligned result is then the
 * whole-song one, bit for bit. `processThroughStream` does exactly that for a whole signal.
 *
 * The block chain runner (render/effect-chain.ts streamChain) does not compensate latency yet,
 * so the compressor and saturation definitions offer no `stream`: their `process` runs the
 * stream whole through `processThroughStream`, and a chain holding one of them renders whole.
 */
import type { EffectProcessContext, EffectStream, EffectStreamContext } from '../ir/plugin.ts';
import type { Samples } from '../theory/units.ts';

/** A stream whose output lags its input by `latency` frames. */
export interface LatentEffectStream extends EffectStream {
  /** Frames the output lags the input; fixed for the stream's life. */
  readonly latency: Samples;
}

/** The lag of a stream's output: its declared `latency`, 0 when it declares none. */
export function streamLatency(stream: EffectStream): Samples {
  const latency = (stream as Partial<LatentEffectStream>).latency;
  return typeof latency === 'number' && latency > 0 ? latency : 0;
}

/**
 * A whole-signal `process` that runs the effect's stream as one block, then `latency` frames
 * of silence, and shifts the output back into line. What `processEffect` must do for a stream
 * with latency; an effect whose stream can have latency uses it as its `process`.
 */
export function processThroughStream<Options>(stream: (context: EffectStreamContext<Options>) => EffectStream): (context: EffectProcessContext<Options>) => void {
  return function wholeSignalThroughStream(context) {
    const { channels, sidechain, automation, ...rest } = context;
    const length = channels[0].length;
    const instance = stream({ ...rest, lengthSamples: length, keyed: sidechain !== null });
    instance.process(0, { channels, sidechain, automation });
    const latency = streamLatency(instance);
    if (latency === 0) return;
    const silence = (): [Float32Array, Float32Array] => [new Float32Array(latency), new Float32Array(latency)];
    const tail = silence();
    instance.process(length, { channels: tail, sidechain: sidechain ? silence() : null, automation: {} });
    // Output frame i sits at i + latency of [channels, tail] laid end to end.
    for (let c = 0; c < 2; c++) {
      const channel = channels[c];
      if (length > latency) {
        channel.copyWithin(0, latency);
        channel.set(tail[c], length - latency);
      } else {
        channel.set(tail[c].subarray(latency - length));
      }
    }
  };
}
