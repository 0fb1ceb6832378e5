/**
 * A zip archive with fixed bytes: entries in the order given, every entry dated 1980-01-01
 * 00:00 (the first DOS date), UTF-8 names, no extra fields, no comment. Entries are stored,
 * or deflated by fflate (JavaScript, so the bytes do not depend on the zlib Node links).
 *
 * Written here rather than with fflate's zipSync because of the CRC-32 over the audio: fflate
 * computes it in JavaScript (700 MB of stems zipped in 6.6 s here), Node's zlib.crc32 in
 * 0.47 s. The container itself is a few fixed-layout headers (APPNOTE 6.3: local file
 * header, central directory, end record). No Zip64: an archive must stay under 4 GiB.
 */
import { crc32 } from 'node:zlib';
import { deflateSync } from 'fflate';

export interface ZipEntry {
  /** Path inside the archive, with forward slashes. */
  readonly name: string;
  readonly data: Uint8Array;
  /** Deflate it (text); otherwise store it (audio, which barely compresses). @default false */
  readonly deflate?: boolean;
}

/** DOS date of 1980-01-01 (year 0, month 1, day 1); DOS time 00:00:00. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const UTF8_NAMES = 0x0800;
const VERSION = 20;
const LIMIT = 0xffffffff;

export function zip(entries: readonly ZipEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const prepared = entries.map((entry) => {
    const name = encoder.encode(entry.name);
    const body = entry.deflate ? deflateSync(entry.data, { level: 6 }) : entry.data;
    return { name, body, method: entry.deflate ? 8 : 0, crc: crc32(entry.data) >>> 0, size: entry.data.length };
  });
  const localSize = prepared.reduce((sum, entry) => sum + 30 + entry.name.length + entry.body.length, 0);
  const centralSize = prepared.reduce((sum, entry) => sum + 46 + entry.name.length, 0);
  const total = localSize + centralSize + 22;
  if (total > LIMIT || prepared.length > 0xffff) throw new RangeError(`zip: ${total} bytes in ${prepared.length} entries is past what a zip without Zip64 holds (4 GiB, 65535 entries)`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (value: number) => {
    view.setUint16(at, value, true);
    at += 2;
  };
  const u32 = (value: number) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const bytes = (data: Uint8Array) => {
    out.set(data, at);
    at += data.length;
  };
  /** The fields both headers hold, in the same order: flags, method, time, date, CRC, sizes, name length. */
  const shared = (entry: (typeof prepared)[number]) => {
    u16(UTF8_NAMES);
    u16(entry.method);
    u16(DOS_TIME);
    u16(DOS_DATE);
    u32(entry.crc);
    u32(entry.body.length);
    u32(entry.size);
    u16(entry.name.length);
  };
  const offsets: number[] = [];
  for (const entry of prepared) {
    offsets.push(at);
    u32(0x04034b50);
    u16(VERSION);
    shared(entry);
    u16(0); // extra
    bytes(entry.name);
    bytes(entry.body);
  }
  const centralStart = at;
  prepared.forEach((entry, index) => {
    u32(0x02014b50);
    u16(VERSION); // made by
    u16(VERSION);
    shared(entry);
    u16(0); // extra
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(offsets[index]);
    bytes(entry.name);
  });
  const centralLength = at - centralStart;
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(prepared.length);
  u16(prepared.length);
  u32(centralLength);
  u32(centralStart);
  u16(0);
  return out;
}
