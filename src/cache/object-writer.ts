/**
 * Writes one cache object as it is produced, a block at a time: bytes gather in 1 MiB
 * buffers, each hashed (a running sha256) and handed to libuv's thread pool to write while
 * the producer computes the next; at most IN_FLIGHT buffers are out at once, so memory stays
 * a few MiB whatever the object's length, and disk time overlaps render time. The digest is
 * known only at the end; the caller then moves the temp file to its content address. A
 * killed process leaves only a temp file, which the next writer of another process sweeps.
 */
import { createHash, type Hash } from 'node:crypto';
import { close, closeSync, mkdirSync, openSync, readdirSync, rmSync, write } from 'node:fs';
import { join } from 'node:path';
import { isOrphanTemp, tempPath } from '../io/atomic.ts';

/** Bytes per write(2): large enough that syscalls cost nothing, small enough to stay in cache. */
const BUFFER_BYTES = 1 << 20;
/** Buffers being written at once before the producer waits. */
const IN_FLIGHT = 6;

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
  private readonly spare: Uint8Array<ArrayBuffer>[] = [];
  private buffer: Uint8Array<ArrayBuffer> = new Uint8Array(BUFFER_BYTES);
  private fill = 0;
  private position = 0;
  private readonly inFlight: Promise<void>[] = [];
  private error: unknown;
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

  /** True when the producer should `await room()` before writing more. */
  get full(): boolean {
    return this.inFlight.length >= IN_FLIGHT;
  }

  /** Wait until a buffer's write has finished (lets the event loop deliver completions). */
  async room(): Promise<void> {
    while (this.inFlight.length >= IN_FLIGHT) await this.inFlight[0];
  }

  write(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.byteLength) {
      const count = Math.min(bytes.byteLength - from, BUFFER_BYTES - this.fill);
      this.buffer.set(bytes.subarray(from, from + count), this.fill);
      this.fill += count;
      from += count;
      if (this.fill === BUFFER_BYTES) this.submit();
    }
  }

  /** The first `count` samples as little-endian float32 bytes (a WAV's data). */
  writeFloat32(samples: Float32Array, count = samples.length): void {
    if (LITTLE_ENDIAN) return this.write(new Uint8Array(samples.buffer, samples.byteOffset, count * 4));
    const bytes = new Uint8Array(4 * count);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) view.setFloat32(4 * i, samples[i], true);
    this.write(bytes);
  }

  /** Hash the gathered bytes and send them to be written at their place in the file. */
  private submit(): void {
    if (this.fill === 0) return;
    const buffer = this.buffer;
    const length = this.fill;
    const at = this.position;
    this.hash.update(buffer.subarray(0, length));
    this.position += length;
    const done = new Promise<void>((resolveWrite) => {
      const from = (offset: number) =>
        write(this.fd, buffer, offset, length - offset, at + offset, (error, written) => {
          if (error) this.error ??= error;
          else if (offset + written < length) return from(offset + written);
          this.spare.push(buffer);
          resolveWrite();
        });
      from(0);
    });
    this.inFlight.push(done);
    void done.then(() => this.inFlight.splice(this.inFlight.indexOf(done), 1));
    this.buffer = this.spare.pop() ?? new Uint8Array(BUFFER_BYTES);
    this.fill = 0;
  }

  /** Write what is left, wait for every write and close; the caller moves `file` to the digest's address. */
  async finish(): Promise<WrittenObject> {
    this.submit();
    await Promise.all(this.inFlight);
    await new Promise<void>((resolveClose, rejectClose) => close(this.fd, (error) => (error ? rejectClose(error) : resolveClose())));
    this.fd = -1;
    if (this.error !== undefined) {
      rmSync(this.file, { force: true });
      throw this.error;
    }
    return { digest: this.hash.digest('hex'), bytes: this.position, file: this.file };
  }

  /** Give up (an error while rendering): wait for writes in flight, close, remove the temp file. */
  async abort(): Promise<void> {
    await Promise.all(this.inFlight);
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
