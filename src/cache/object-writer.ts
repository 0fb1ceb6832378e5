/**
 * Writes one cache object as it is produced, a block at a time: bytes go through a fixed
 * buffer to a temp file in the objects folder and into a running sha256, so an object of any
 * length costs one buffer of memory and is hashed while its bytes are still in cache. The
 * digest is known only at the end; `finish` then moves the file to its content address (or
 * drops it when that object already exists). A killed process leaves only a temp file, which
 * the next writer of another process sweeps.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isOrphanTemp, tempPath } from '../io/atomic.ts';

/** Bytes gathered before each write(2): large enough that syscalls cost nothing, small enough to stay in cache. */
const BUFFER_BYTES = 1 << 20;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Folders already swept of killed writers' temp files, in this process. */
const swept = new Set<string>();

export interface WrittenObject {
  readonly digest: string;
  readonly bytes: number;
  /** The temp file holding the bytes, to be moved to the digest's address. */
  readonly file: string;
}

export class ObjectWriter {
  private readonly hash: Hash = createHash('sha256');
  private readonly buffer = new Uint8Array(BUFFER_BYTES);
  private readonly view = new DataView(this.buffer.buffer);
  private fill = 0;
  private total = 0;
  private fd: number;
  readonly file: string;

  constructor(folder: string) {
    mkdirSync(folder, { recursive: true });
    if (!swept.has(folder)) {
      swept.add(folder);
      for (const name of readdirSync(folder)) if (name.startsWith('incoming.') && isOrphanTemp(name)) rmSync(join(folder, name), { force: true });
    }
    this.file = tempPath(join(folder, 'incoming'));
    this.fd = openSync(this.file, 'w');
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.total + this.fill;
  }

  write(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.byteLength) {
      const count = Math.min(bytes.byteLength - from, BUFFER_BYTES - this.fill);
      this.buffer.set(bytes.subarray(from, from + count), this.fill);
      this.fill += count;
      from += count;
      if (this.fill === BUFFER_BYTES) this.drain();
    }
  }

  /** The first `count` samples as little-endian float32 bytes (a WAV's data). */
  writeFloat32(samples: Float32Array, count = samples.length): void {
    if (LITTLE_ENDIAN) return this.write(new Uint8Array(samples.buffer, samples.byteOffset, count * 4));
    for (let i = 0; i < count; i++) {
      if (this.fill + 4 > BUFFER_BYTES) this.drain();
      this.view.setFloat32(this.fill, samples[i], true);
      this.fill += 4;
    }
  }

  private drain(): void {
    const chunk = this.buffer.subarray(0, this.fill);
    this.hash.update(chunk);
    let written = 0;
    while (written < chunk.byteLength) written += writeSync(this.fd, chunk, written, chunk.byteLength - written);
    this.total += this.fill;
    this.fill = 0;
  }

  /** Flush and close; the caller moves `file` to the digest's address. */
  finish(): WrittenObject {
    this.drain();
    closeSync(this.fd);
    this.fd = -1;
    return { digest: this.hash.digest('hex'), bytes: this.total, file: this.file };
  }

  /** Give up (an error while rendering): close and remove the temp file. */
  abort(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // Already closed.
      }
      this.fd = -1;
    }
    rmSync(this.file, { force: true });
  }
}
