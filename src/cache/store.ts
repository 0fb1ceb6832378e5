/**
 * The content-addressed cache, as in Bazel: an action map (task key → output digests and
 * metadata) and an object store (sha256 → bytes). Objects are written before the action
 * entry that names them, each by temp file + rename, so an action entry exists only when
 * its objects are complete. Reads verify the digest; a bad object is deleted and reported.
 * A store that keeps recent objects in memory writes them behind: the bytes are usable at
 * once (from memory) while the file is written on libuv's thread pool, and `flush` waits
 * for the files before an action entry names them or dist/ links them.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, utimesSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { ObjectWriter, type WrittenObject } from './object-writer.ts';
import { statStamp } from '../io/stat-stamp.ts';
import { linkOrCopyAtomicSync, writeFileAtomicSync, writeFileBehind } from '../io/atomic.ts';
import { sha256 } from '../ir/hash.ts';

export interface OutputRecord {
  readonly digest: string;
  readonly bytes: number;
}

export interface ActionEntry {
  readonly key: string;
  readonly kind: string;
  /** Output name → object. */
  readonly outputs: Readonly<Record<string, OutputRecord>>;
  /** Facts measured while rendering (peaks…), so a cache hit can report them without decoding. */
  readonly meta: Readonly<Record<string, number>>;
  /** The key's breakdown: each named input's hash. */
  readonly inputs: Readonly<Record<string, string>>;
}

/**
 * A second tier behind a store (the remote cache): asked for entries this store lacks
 * (it stores them here, verified), and given each entry made here to share.
 */
export interface CacheTier {
  prefetch(entries: readonly { readonly key: string }[]): Promise<void>;
  push(entry: ActionEntry): void;
}

/**
 * Most bytes being written behind at once: beyond it objects are written before putObject
 * returns, so memory held for writes stays bounded however many tasks finish meanwhile.
 */
const WRITE_BEHIND_BYTES = 192 * 1024 * 1024;

/** Size of the pieces readObjectInPieces hands out. */
const PIECE_BYTES = 1 << 20;

export class CacheStore {
  readonly root: string;
  private readonly onCorrupt: (digest: string) => void;
  /** Objects this process wrote or verified: reading them again needs no second hash. */
  private readonly verified = new Set<string>();
  /**
   * Digest cache, as Bazel keeps one: for each object hashed before, the file's size, mtime,
   * ctime and inode then. An object whose file still shows the same is not hashed again;
   * any write to it (a flipped byte, a truncation) changes mtime and ctime, and is caught.
   */
  private readonly stamps: Record<string, string>;
  private stampsChanged = false;
  /**
   * Bytes of objects made in this build, kept so the mix reads its stems from memory rather
   * than from disk. Bounded; the oldest go first.
   */
  private readonly recent = new Map<string, Uint8Array>();
  private recentBytes = 0;
  private readonly recentLimit: number;
  /** Objects whose files are being written behind, by digest. */
  private readonly writing = new Map<string, Promise<void>>();
  private writingBytes = 0;
  /** Written-behind objects to drop from memory once their files are complete. */
  private readonly forgetWhenWritten = new Set<string>();
  /** The first background write that failed (disk full…): reported by the next flush. */
  private writeError: unknown;

  constructor(root: string, onCorrupt: (digest: string) => void = () => {}, recentLimit = 0) {
    this.root = root;
    this.onCorrupt = onCorrupt;
    this.recentLimit = recentLimit;
    let stamps: Record<string, string> = {};
    try {
      stamps = JSON.parse(readFileSync(join(root, 'digest-stamps.json'), 'utf8')) as Record<string, string>;
    } catch {
      stamps = {};
    }
    this.stamps = stamps;
  }

  /** Persist the digest cache (the main thread calls this at the end of a build). */
  saveStamps(): void {
    if (!this.stampsChanged) return;
    writeFileAtomicSync(join(this.root, 'digest-stamps.json'), JSON.stringify(this.stamps));
    this.stampsChanged = false;
  }

  private stamp(digest: string, stat: Stats): void {
    const value = statStamp(stat);
    if (this.stamps[digest] !== value) {
      this.stamps[digest] = value;
      this.stampsChanged = true;
    }
  }

  private stampMatches(digest: string, stat: Stats): boolean {
    return this.stamps[digest] === statStamp(stat);
  }

  /** Keep bytes another thread stored and hashed (a worker's stem) for reading from memory. */
  adopt(record: OutputRecord, data: Uint8Array): void {
    if (data.byteLength !== record.bytes) return;
    this.verified.add(record.digest);
    this.remember(record.digest, data);
    try {
      this.stamp(record.digest, statSync(this.objectPath(record.digest)));
    } catch {
      // Not on disk (pruned meanwhile): nothing to remember it by.
    }
  }

  /** Drop one object's in-memory copy (it has been used; the file stays). */
  forget(digest: string): void {
    const kept = this.recent.get(digest);
    if (!kept) return;
    // Memory is a written-behind object's only complete copy until its file is: drop it then.
    if (this.writing.has(digest)) {
      this.forgetWhenWritten.add(digest);
      return;
    }
    this.recent.delete(digest);
    this.recentBytes -= kept.byteLength;
  }

  /** Forget the in-memory copies (end of a song's build). */
  releaseMemory(): void {
    for (const digest of [...this.recent.keys()]) this.forget(digest);
  }

  /** Keep an object's bytes in memory; false when it does not fit. */
  private remember(digest: string, data: Uint8Array): boolean {
    if (this.recent.has(digest)) return true;
    if (this.recentLimit === 0 || data.byteLength > this.recentLimit) return false;
    this.recent.set(digest, data);
    this.recentBytes += data.byteLength;
    for (const [oldest, bytes] of this.recent) {
      if (this.recentBytes <= this.recentLimit) break;
      // An object still being written stays: memory is its only complete copy.
      if (this.writing.has(oldest)) continue;
      this.recent.delete(oldest);
      this.recentBytes -= bytes.byteLength;
    }
    return true;
  }

  private objectPath(digest: string): string {
    return join(this.root, 'objects', digest.slice(0, 2), digest);
  }

  /** Where an object's file is or would be (the remote tier streams uploads from it and downloads beside it). */
  objectFile(digest: string): string {
    return this.objectPath(digest);
  }

  /** A writer that streams one object into this store; `installWritten` its result. */
  createWriter(): ObjectWriter {
    return new ObjectWriter(join(this.root, 'objects'));
  }

  /** Put a finished writer's file at its digest's address (dropped when the object exists) and return its record. */
  installWritten(written: WrittenObject): OutputRecord {
    const { digest, bytes } = written;
    const path = this.objectPath(digest);
    this.verified.add(digest);
    if (this.writing.has(digest) || existsSync(path)) rmSync(written.file, { force: true });
    else {
      mkdirSync(dirname(path), { recursive: true });
      renameSync(written.file, path);
    }
    this.stampFile(digest, path);
    return { digest, bytes };
  }

  /** An object another thread of this build streamed to disk and hashed: trusted without a re-hash. */
  adoptFile(record: OutputRecord): void {
    this.verified.add(record.digest);
    this.stampFile(record.digest, this.objectPath(record.digest));
  }

  /** Move in a file, in the objects folder, whose bytes the caller has verified against `digest` (a remote download). */
  installVerified(digest: string, verifiedFile: string): void {
    const path = this.objectPath(digest);
    renameSync(verifiedFile, path);
    this.verified.add(digest);
    this.stampFile(digest, path);
  }

  private actionPath(key: string): string {
    return join(this.root, 'actions', key.slice(0, 2), `${key}.json`);
  }

  /**
   * Store bytes under their digest (a no-op when already present) and return the record.
   * The caller must not change `data` afterwards: it may be written behind.
   */
  putObject(data: Uint8Array): OutputRecord {
    const digest = sha256(data);
    const path = this.objectPath(digest);
    this.verified.add(digest);
    if (this.writing.has(digest)) return { digest, bytes: data.byteLength };
    const inMemory = this.remember(digest, data);
    if (existsSync(path)) this.stampFile(digest, path);
    else if (inMemory && this.writingBytes + data.byteLength <= WRITE_BEHIND_BYTES) {
      const write = writeFileBehind(path, data).then(
        () => this.stampFile(digest, path),
        (error: unknown) => {
          this.writeError ??= error;
        },
      );
      this.writing.set(digest, write);
      this.writingBytes += data.byteLength;
      void write.finally(() => {
        this.writing.delete(digest);
        this.writingBytes -= data.byteLength;
        if (this.forgetWhenWritten.delete(digest)) this.forget(digest);
      });
    } else {
      writeFileAtomicSync(path, data);
      this.stampFile(digest, path);
    }
    return { digest, bytes: data.byteLength };
  }

  private stampFile(digest: string, path: string): void {
    try {
      this.stamp(digest, statSync(path));
    } catch {
      // A concurrent prune removed it; the next reader re-renders.
    }
  }

  /** Wait until these objects' files (every object's, when omitted) are on disk; throws a failed write's error. */
  async flush(digests?: Iterable<string>): Promise<void> {
    const waits = digests ? [...digests].flatMap((digest) => this.writing.get(digest) ?? []) : [...this.writing.values()];
    await Promise.all(waits);
    if (this.writeError !== undefined) {
      const error = this.writeError;
      this.writeError = undefined;
      throw error;
    }
  }

  hasObject(digest: string): boolean {
    return this.writing.has(digest) || existsSync(this.objectPath(digest));
  }

  /** An object's bytes if this store holds them in memory (verified when kept), without touching the disk. */
  peekObject(digest: string): Uint8Array | undefined {
    return this.recent.get(digest);
  }

  /** Read and verify an object. A missing or corrupt object returns undefined. */
  getObject(digest: string): Uint8Array | undefined {
    const kept = this.recent.get(digest);
    if (kept) return kept;
    const path = this.objectPath(digest);
    let read: { data: Uint8Array; stat: Stats };
    try {
      read = readAligned(path);
    } catch {
      return undefined;
    }
    const { data, stat } = read;
    if (this.verified.has(digest)) return data;
    if (this.stampMatches(digest, stat)) {
      this.verified.add(digest);
      return data;
    }
    if (sha256(data) !== digest) {
      this.discardCorrupt(digest, path);
      return undefined;
    }
    this.verified.add(digest);
    this.stamp(digest, stat);
    return data;
  }

  /**
   * Read an object in pieces: its first `first` bytes, then the rest up to 1 MiB at a time in
   * one reused, 4-aligned buffer (the piece is only valid during the call). The digest is
   * checked on the way unless the object is already trusted. False when the object is
   * missing or corrupt; the pieces already handed out must then be thrown away.
   */
  readObjectInPieces(digest: string, first: number, onPiece: (piece: Uint8Array) => void): boolean {
    const kept = this.recent.get(digest);
    if (kept) {
      onPiece(kept.subarray(0, first));
      for (let at = first; at < kept.byteLength; at += PIECE_BYTES) onPiece(kept.subarray(at, Math.min(kept.byteLength, at + PIECE_BYTES)));
      return true;
    }
    const path = this.objectPath(digest);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return false;
    }
    try {
      const stat = fstatSync(fd);
      const trusted = this.verified.has(digest) || this.stampMatches(digest, stat);
      const hash = trusted ? undefined : createHash('sha256');
      const buffer = new Uint8Array(Math.max(PIECE_BYTES, first));
      let offset = 0;
      while (offset < stat.size) {
        const want = Math.min(stat.size - offset, offset === 0 ? first : PIECE_BYTES);
        let got = 0;
        while (got < want) {
          const read = readSync(fd, buffer, got, want - got, offset + got);
          if (read === 0) break;
          got += read;
        }
        if (got === 0) break;
        const piece = buffer.subarray(0, got);
        hash?.update(piece);
        onPiece(piece);
        offset += got;
      }
      if (hash && (offset !== stat.size || hash.digest('hex') !== digest)) {
        this.discardCorrupt(digest, path);
        return false;
      }
      if (!trusted) {
        this.verified.add(digest);
        this.stamp(digest, stat);
      }
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** An object whose bytes failed their digest: deleted (the next reader re-renders it) and reported. */
  private discardCorrupt(digest: string, path: string): void {
    rmSync(path, { force: true });
    delete this.stamps[digest];
    this.onCorrupt(digest);
  }

  /** The file of an object already known to be intact (made or verified by this thread, or its stamp unchanged), else undefined. */
  trustedObjectFile(digest: string): string | undefined {
    if (this.writing.has(digest)) return undefined;
    const path = this.objectPath(digest);
    if (this.verified.has(digest) && existsSync(path)) return path;
    return this.stampedOnDisk(digest) ? path : undefined;
  }

  /** Put an object at `target` (hard link or copy, atomically); false when it is missing or corrupt. Flush first. */
  copyObjectTo(digest: string, target: string): boolean {
    if (this.writing.has(digest)) throw new Error(`object ${digest} is still being written: flush the store before emitting`);
    if (!this.verified.has(digest) && !this.stampedOnDisk(digest) && !this.getObject(digest)) return false;
    try {
      linkOrCopyAtomicSync(this.objectPath(digest), target);
      // A new hard link changes the object's ctime: stamp it again, or the next read would hash it in full.
      this.stampFile(digest, this.objectPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** True (and verified) when the object on disk still has the stamp recorded when it was last hashed: no need to read it. */
  private stampedOnDisk(digest: string): boolean {
    try {
      if (!this.stampMatches(digest, statSync(this.objectPath(digest)))) return false;
    } catch {
      return false;
    }
    this.verified.add(digest);
    return true;
  }

  /** An action entry whose objects all exist, or undefined. */
  getAction(key: string): ActionEntry | undefined {
    let entry: ActionEntry;
    try {
      entry = JSON.parse(readFileSync(this.actionPath(key), 'utf8')) as ActionEntry;
    } catch {
      return undefined;
    }
    if (entry.key !== key || !entry.outputs) return undefined;
    for (const output of Object.values(entry.outputs)) if (!this.hasObject(output.digest)) return undefined;
    // A hit marks the entry as recently used, for `cache prune` (metadata only, never an output).
    try {
      const now = new Date();
      utimesSync(this.actionPath(key), now, now);
    } catch {
      // Read-only caches still serve hits.
    }
    return entry;
  }

  /** The tier behind this store, for entries made outside the task graph (the room's measurements). */
  private tier: CacheTier | undefined;

  attachTier(tier: CacheTier | undefined): void {
    this.tier = tier;
  }

  /** An entry from this store or, when it lacks one, from the tier behind it. */
  async getActionFromAnyTier(key: string): Promise<ActionEntry | undefined> {
    const local = this.getAction(key);
    if (local || !this.tier) return local;
    await this.tier.prefetch([{ key }]);
    return this.getAction(key);
  }

  /** `putAction`, then hand the entry to the tier behind this store. */
  putActionToAllTiers(entry: ActionEntry): void {
    this.putAction(entry);
    this.tier?.push(entry);
  }

  /** Written last, after the objects it names: the commit marker of a task. */
  putAction(entry: ActionEntry): void {
    writeFileAtomicSync(this.actionPath(entry.key), `${JSON.stringify(entry, null, 1)}\n`);
  }
}

/**
 * Read a whole file into a buffer that starts 2 bytes into its ArrayBuffer. mixdown's float
 * WAV data starts at byte 58, so its samples land 4-aligned and are read through a
 * Float32Array view instead of being copied.
 */
function readAligned(path: string): { data: Uint8Array; stat: Stats } {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    const size = stat.size;
    const data = new Uint8Array(new ArrayBuffer(size + 2), 2, size);
    let offset = 0;
    while (offset < size) {
      const read = readSync(fd, data, offset, size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return { data: offset === size ? data : data.subarray(0, offset), stat };
  } finally {
    closeSync(fd);
  }
}
