/**
 * Files read in pieces rather than whole: a SoundFont of hundreds of MB is hashed a piece at a
 * time and played from positioned reads of the few stretches its notes use, so no thread holds
 * the whole file (a 148 MB bank read whole once per worker was most of a build's memory).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { statStamp } from './stat-stamp.ts';

/** Random access to a file's bytes: its size and positioned reads. */
export interface RandomAccessFile {
  /** Bytes in the file. */
  readonly size: number;
  /** The `length` bytes from `offset`, a new array; a RangeError for bytes outside the file. */
  read(offset: number, length: number): Uint8Array;
}

/** Bytes in memory as a RandomAccessFile (tests, a file a caller already holds). */
export function bytesFile(bytes: Uint8Array): RandomAccessFile {
  return {
    size: bytes.length,
    read(offset, length) {
      checkRange(offset, length, bytes.length);
      return bytes.slice(offset, offset + length);
    },
  };
}

function checkRange(offset: number, length: number, size: number): void {
  if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size)) {
    throw new RangeError(`bytes ${offset}–${offset + length} are outside the file's ${size}`);
  }
}

/** Piece size for hashing: big enough for few system calls, small beside any heap. */
const HASH_PIECE = 1 << 20;

/** sha256 of an open file's first `size` bytes, read a piece at a time into one reused buffer. */
export function sha256OfOpenFile(fd: number, size: number): string {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(Math.min(HASH_PIECE, Math.max(1, size)));
  for (let at = 0; at < size; ) {
    const got = readSync(fd, piece, 0, Math.min(piece.length, size - at), at);
    if (got === 0) throw new Error(`the file ended at byte ${at} of ${size} while it was read`);
    hash.update(piece.subarray(0, got));
    at += got;
  }
  return hash.digest('hex');
}

/**
 * sha256 of a file hashed in pieces, with the stat stamp it had throughout: null when the file
 * changed while it was read (the stamp before and after differ), so a caller never remembers
 * a digest for bytes that are not the file's.
 */
export function sha256OfFile(path: string): { readonly sha256: string; readonly stamp: string | null } {
  const fd = openSync(path, 'r');
  try {
    const before = fstatSync(fd);
    const sha256 = sha256OfOpenFile(fd, before.size);
    const same = statStamp(fstatSync(fd)) === statStamp(before);
    return { sha256, stamp: same ? statStamp(before) : null };
  } finally {
    closeSync(fd);
  }
}

/**
 * A file opened for positioned reads while its stat stamp stays `stamp`: every read checks the
 * stamp again after reading (fstat of the open descriptor, so a file replaced by a rename keeps
 * serving the bytes it had), and a changed file is a `FileChangedError`, never other bytes.
 * The descriptor opens on first read and can be closed between reads (`close`); the next read
 * opens it again, still under the same stamp.
 */
export class StampedFile implements RandomAccessFile {
  private fd: number | null = null;

  constructor(
    readonly path: string,
    readonly size: number,
    readonly stamp: string,
  ) {}

  read(offset: number, length: number): Uint8Array {
    checkRange(offset, length, this.size);
    const fd = this.open();
    const bytes = new Uint8Array(length);
    for (let at = 0; at < length; ) {
      const got = readSync(fd, bytes, at, length - at, offset + at);
      if (got === 0) throw new FileChangedError(this.path);
      at += got;
    }
    if (statStamp(fstatSync(fd)) !== this.stamp) throw new FileChangedError(this.path);
    return bytes;
  }

  private open(): number {
    if (this.fd !== null) return this.fd;
    const fd = openSync(this.path, 'r');
    if (statStamp(fstatSync(fd)) !== this.stamp) {
      closeSync(fd);
      throw new FileChangedError(this.path);
    }
    return (this.fd = fd);
  }

  /** Close the descriptor (reads open it again). */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** A file changed after its content hash was taken: its bytes are no longer the hashed ones. */
export class FileChangedError extends Error {
  constructor(readonly path: string) {
    super(`'${path}' changed while it was being read`);
    this.name = 'FileChangedError';
  }
}
