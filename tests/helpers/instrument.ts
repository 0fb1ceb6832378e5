/** Rendering an instrument directly (no song, no build) for the instrument tests. */
import { renderInstrument } from '../../src/ir/plugin.ts';
import { bytesFile, type RandomAccessFile } from '../../src/io/file-pieces.ts';
import { sha256 } from '../../src/ir/hash.ts';
import type { InstrumentFactory, NoteEvent } from '../../src/ir/plugin.ts';

export const RATE = 48000;

const noFiles = (): never => {
  throw new Error('this instrument declared no files');
};

export type NoteSpec = { pitch: number; start?: number; length?: number; velocity?: number };

/** Render `notes` (sample positions, 1 s long by default) through `factory(options)` into song-length channels at 48 kHz. */
export function render<O extends object>(
  factory: InstrumentFactory<O>,
  options: Parameters<InstrumentFactory<O>>[0],
  notes: NoteSpec[],
  seconds = 2,
  { seed = 1, beatSeconds }: { seed?: number; beatSeconds?: number } = {},
): Float32Array[] {
  const length = Math.round(seconds * RATE);
  const output = Array.from({ length: factory.definition.channels ?? 2 }, () => new Float32Array(length));
  const events: NoteEvent[] = notes.map((note) => ({
    pitch: note.pitch,
    velocity: note.velocity ?? 100,
    startSample: note.start ?? 0,
    lengthSamples: note.length ?? RATE,
    startTick: 0,
    lengthTicks: 960,
  }));
  renderInstrument(factory.definition, { sampleRate: RATE, options: factory(options).options, notes: events, output, seed, beatSeconds, readAudio: noFiles, readFile: noFiles, openFile: noFiles });
  return output;
}

/** A context's openFile over bytes in memory, as a build's reads a declared file in pieces. */
export function openBytes(bytes: Uint8Array): { file: RandomAccessFile; sha256: string } {
  return { file: bytesFile(bytes), sha256: sha256(bytes) };
}
