/**
 * Project files (samples, SoundFonts, impulse responses, reference tracks) as this process
 * has read them: each file is read and hashed once and its bytes shared by every track and
 * task that declares it. A 148 MB SoundFont used by eight tracks was read and hashed 24 times
 * per build (at elaboration, by each stem task, by the SoundFont parser); then once per
 * thread; now its digest is taken in pieces (never the whole file in memory) by the thread
 * that plans, vouched for to the workers (`vouchedDigests`), and its bytes are read in
 * pieces too, where they are played (`openProjectFile`).
 *
 * An entry is reused only while the file's stat (size, mtime, ctime, inode) is the one it was
 * read with — the same test make and ninja trust — so a long-running `watch` sees every save.
 * The bytes are held up to HELD_BYTES (least recently used first out); their digest is kept
 * for as long as the stat still matches, so a re-hash is only ever needed after a change.
 */
import { readFileSync, statSync } from 'node:fs';
import { sha256OfFile, StampedFile } from '../io/file-pieces.ts';
import { statStamp } from '../io/stat-stamp.ts';
import { sha256 } from '../ir/hash.ts';

/** Bytes kept in memory at most, across files: two General MIDI banks and change. */
const HELD_BYTES = 512 * 1024 * 1024;

interface Entry {
  readonly signature: string;
  readonly sha256: string;
  bytes: Uint8Array | null;
}

const entries = new Map<string, Entry>();
let heldBytes = 0;

/** Keep `entry`'s bytes, most recently used last; drop the oldest others' bytes past the budget. */
function hold(path: string, entry: Entry, bytes: Uint8Array): void {
  entries.delete(path);
  entries.set(path, entry);
  if (entry.bytes === null) {
    entry.bytes = bytes;
    heldBytes += bytes.length;
  }
  for (const candidate of entries.values()) {
    if (heldBytes <= HELD_BYTES) break;
    if (candidate === entry || candidate.bytes === null) continue;
    heldBytes -= candidate.bytes.length;
    candidate.bytes = null;
  }
}

function current(path: string): { entry: Entry | undefined; signature: string } {
  const signature = statStamp(statSync(path));
  const entry = entries.get(path);
  if (entry && entry.signature === signature) return { entry, signature };
  if (entry?.bytes) heldBytes -= entry.bytes.length;
  entries.delete(path);
  return { entry: undefined, signature };
}

/**
 * The file's digest, and its bytes when `wantBytes` (null otherwise). A digest-only lookup of
 * a known, unchanged file costs one stat; bytes are read at most once while they are held.
 */
function lookup(path: string, wantBytes: boolean): { readonly bytes: Uint8Array | null; readonly sha256: string } {
  const { entry, signature } = current(path);
  if (entry && (entry.bytes || !wantBytes)) {
    if (entry.bytes) hold(path, entry, entry.bytes);
    return { bytes: entry.bytes, sha256: entry.sha256 };
  }
  if (!wantBytes) {
    // The digest alone: hashed in pieces, so a SoundFont is never whole in this thread.
    const hashed = sha256OfFile(path);
    if (hashed.stamp === signature) entries.set(path, { signature, sha256: hashed.sha256, bytes: null });
    return { bytes: null, sha256: hashed.sha256 };
  }
  const bytes = readFileSync(path);
  // An entry without bytes still holds the digest of these unchanged bytes.
  const digest = entry ? entry.sha256 : sha256(bytes);
  // A file rewritten between the stat and the read is not remembered: the stat is taken
  // again after reading, and only a match makes an entry.
  if (statStamp(statSync(path)) === signature) {
    hold(path, entry ?? { signature, sha256: digest, bytes: null }, bytes);
  }
  return { bytes, sha256: digest };
}

/** The file's bytes and their sha256, read and hashed at most once while it is unchanged. Throws fs errors as they are. */
export function readProjectFile(path: string): { readonly bytes: Uint8Array; readonly sha256: string } {
  const { bytes, sha256: digest } = lookup(path, true);
  return { bytes: bytes!, sha256: digest };
}

/**
 * The file's sha256, hashed at most once while it is unchanged. Its bytes are not kept: the
 * thread that plans a build is often not the one that plays the file.
 */
export function projectFileDigest(path: string): string {
  return lookup(path, false).sha256;
}

/** Files open for positioned reads, by path, while unchanged; descriptors held for the last few used. */
const opened = new Map<string, StampedFile>();
const OPEN_DESCRIPTORS = 4;

/**
 * The file for positioned reads, and its sha256 (hashed in pieces when this thread does not
 * know it yet). Reads check the file's stat stamp, so they give the hashed bytes or throw
 * `FileChangedError`. One StampedFile per unchanged file, shared by every caller.
 */
export function openProjectFile(path: string): { readonly file: StampedFile; readonly sha256: string } {
  const digest = lookup(path, false).sha256;
  const signature = entries.get(path)?.signature;
  let file = opened.get(path);
  if (!file || file.stamp !== signature) {
    file?.close();
    // A file that changed while it was hashed has no entry: its reads will fail on the stamp.
    file = new StampedFile(path, statSync(path).size, signature ?? 'changed while hashed');
  }
  opened.delete(path);
  opened.set(path, file);
  // Past the last few files used, close descriptors (a read opens one again).
  let over = opened.size - OPEN_DESCRIPTORS;
  for (const older of opened.values()) if (over-- > 0) older.close();
  return { file, sha256: digest };
}

/** A digest this thread knows for a file while its stat stamp is `signature`. */
export interface VouchedDigest {
  readonly path: string;
  readonly signature: string;
  readonly sha256: string;
}

/** The digests this thread has taken (the planning thread: every file a build declared), to vouch for to workers. */
export function vouchedDigests(): VouchedDigest[] {
  return [...entries].map(([path, entry]) => ({ path, signature: entry.signature, sha256: entry.sha256 }));
}

/**
 * Digests another thread of this process took, trusted here while the file's stat stamp is the
 * one they were taken at (the same test this thread applies to its own): a worker then opens a
 * 148 MB SoundFont without hashing it again.
 */
export function vouchDigests(digests: readonly VouchedDigest[]): void {
  for (const { path, signature, sha256: digest } of digests) {
    const entry = entries.get(path);
    if (entry && entry.signature === signature) continue;
    if (entry?.bytes) heldBytes -= entry.bytes.length;
    entries.set(path, { signature, sha256: digest, bytes: null });
  }
}
