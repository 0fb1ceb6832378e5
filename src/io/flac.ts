/**
 * FLAC encoding through libflac.js (the reference libFLAC compiled to WebAssembly): a
 * master's 24-bit samples, losslessly. The library initialises asynchronously once.
 */
import { createRequire } from 'node:module';

interface FlacLibrary {
  isReady(): boolean;
  on(event: 'ready', handler: () => void): void;
}

interface FlacEncoder {
  encode(data?: Int32Array): boolean;
  getSamples(): Uint8Array;
  destroy(): void;
}

const require = createRequire(import.meta.url);
let library: Promise<FlacLibrary> | undefined;

function flac(): Promise<FlacLibrary> {
  library ??= new Promise((resolveReady) => {
    const instance = (require('libflacjs') as () => FlacLibrary)();
    if (instance.isReady()) resolveReady(instance);
    else instance.on('ready', () => resolveReady(instance));
  });
  return library;
}

/** Encode interleaved integer samples (already quantised to `bits`) as a native FLAC stream. */
export async function encodeFlac(interleaved: Int32Array, channels: number, sampleRate: number, bits: 16 | 24): Promise<Uint8Array> {
  const instance = await flac();
  const { Encoder } = require('libflacjs/lib/encoder') as { Encoder: new (lib: FlacLibrary, options: object) => FlacEncoder };
  const encoder = new Encoder(instance, { sampleRate, channels, bitsPerSample: bits, compression: 5, verify: false, isOgg: false });
  try {
    if (!encoder.encode(interleaved) || !encoder.encode()) throw new Error('libFLAC refused the samples');
    return Uint8Array.from(encoder.getSamples());
  } finally {
    encoder.destroy();
  }
}

/** A FLAC stream fed interleaved integer samples block by block; `finish` gives the whole file. */
export interface FlacStream {
  push(interleaved: Int32Array): void;
  finish(): Uint8Array;
}

/** Start a FLAC stream (the encoder's library loads once, asynchronously). */
export async function createFlacStream(channels: number, sampleRate: number, bits: 16 | 24): Promise<FlacStream> {
  const instance = await flac();
  const { Encoder } = require('libflacjs/lib/encoder') as { Encoder: new (lib: FlacLibrary, options: object) => FlacEncoder };
  const encoder = new Encoder(instance, { sampleRate, channels, bitsPerSample: bits, compression: 5, verify: false, isOgg: false });
  return {
    push(interleaved) {
      if (interleaved.length && !encoder.encode(interleaved)) {
        encoder.destroy();
        throw new Error('libFLAC refused the samples');
      }
    },
    finish() {
      try {
        if (!encoder.encode()) throw new Error('libFLAC could not finish the stream');
        return Uint8Array.from(encoder.getSamples());
      } finally {
        encoder.destroy();
      }
    },
  };
}
