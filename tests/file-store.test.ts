import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileChangedError, sha256OfFile } from '../src/io/file-pieces.ts';
import { statStamp } from '../src/io/stat-stamp.ts';
import { openProjectFile, projectFileDigest, readProjectFile, vouchDigests, vouchedDigests } from '../src/registry/file-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'mixdown-file-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('project files read once per thread', () => {
  it('gives every reader the same bytes while the file is unchanged', () => {
    const path = join(dir, 'bank.sf2');
    writeFileSync(path, 'first bank');
    const first = readProjectFile(path);
    const second = readProjectFile(path);
    expect(first.sha256).toBe(sha('first bank'));
    // The same array: not read again, so a parsed bank keyed by it is found again.
    expect(second.bytes).toBe(first.bytes);
    expect(projectFileDigest(path)).toBe(sha('first bank'));
  });

  it('sees a save, even one of the same size', () => {
    const path = join(dir, 'sample.wav');
    writeFileSync(path, 'aaaa');
    expect(projectFileDigest(path)).toBe(sha('aaaa'));
    writeFileSync(path, 'bbbb');
    // Same size; move the modification time on so the stat differs even on a coarse clock.
    utimesSync(path, new Date(2030, 0, 1), new Date(2030, 0, 1));
    expect(projectFileDigest(path)).toBe(sha('bbbb'));
    const read = readProjectFile(path);
    expect(Buffer.from(read.bytes).toString()).toBe('bbbb');
    expect(read.sha256).toBe(sha('bbbb'));
  });

  it('reads the bytes of a file first only hashed (the planner hashes, a task plays)', () => {
    const path = join(dir, 'ir.wav');
    writeFileSync(path, 'impulse');
    expect(projectFileDigest(path)).toBe(sha('impulse'));
    const read = readProjectFile(path);
    expect(Buffer.from(read.bytes).toString()).toBe('impulse');
    expect(read.sha256).toBe(sha('impulse'));
  });

  it('passes a missing file on as the error fs gives', () => {
    expect(() => readProjectFile(join(dir, 'nope.sf2'))).toThrow(/ENOENT/);
  });
});

describe('project files in pieces (a SoundFont is never whole in memory)', () => {
  /** 3.5 MB of seeded bytes: more than three hashing pieces, the last one short. */
  const big = Buffer.alloc(3.5 * 1024 * 1024);
  for (let i = 0, x = 7; i < big.length; i++) big[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;

  it('hashes a file in pieces to the digest of its whole bytes, with the stat it kept throughout', () => {
    const path = join(dir, 'big.sf2');
    writeFileSync(path, big);
    const whole = createHash('sha256').update(big).digest('hex');
    expect(sha256OfFile(path)).toEqual({ sha256: whole, stamp: statStamp(statSync(path)) });
    expect(projectFileDigest(path)).toBe(whole);
  });

  it('opens a file for positioned reads that give its bytes, and refuses reads outside it', () => {
    const path = join(dir, 'ranges.sf2');
    writeFileSync(path, big);
    const { file, sha256 } = openProjectFile(path);
    expect(sha256).toBe(createHash('sha256').update(big).digest('hex'));
    expect(file.size).toBe(big.length);
    expect(Buffer.from(file.read(1_000_000, 4096)).equals(big.subarray(1_000_000, 1_004_096))).toBe(true);
    expect(Buffer.from(file.read(big.length - 3, 3)).equals(big.subarray(big.length - 3))).toBe(true);
    expect(() => file.read(big.length - 3, 4)).toThrow(RangeError);
    expect(() => file.read(-1, 1)).toThrow(RangeError);
    // The same open file for every caller while the file is unchanged.
    expect(openProjectFile(path).file).toBe(file);
  });

  it('a file changed after it was opened is a FileChangedError, never other bytes', () => {
    const path = join(dir, 'edited.sf2');
    writeFileSync(path, 'a bank of twenty-six bytes');
    const { file } = openProjectFile(path);
    expect(Buffer.from(file.read(2, 4)).toString()).toBe('bank');
    writeFileSync(path, 'A BANK OF TWENTY-SIX BYTES');
    utimesSync(path, new Date(2031, 0, 1), new Date(2031, 0, 1));
    expect(() => file.read(2, 4)).toThrow(FileChangedError);
    // Opened again, it is the new file with its new digest.
    const again = openProjectFile(path);
    expect(again.sha256).toBe(sha('A BANK OF TWENTY-SIX BYTES'));
    expect(Buffer.from(again.file.read(2, 4)).toString()).toBe('BANK');
  });

  it('trusts a digest another thread vouched for while the stat is the one it was taken at, and only then', () => {
    const path = join(dir, 'vouched.sf2');
    writeFileSync(path, 'vouched bytes');
    const signature = statStamp(statSync(path));
    // A digest that is not the content's: used as is, proof that the file was not hashed again.
    vouchDigests([{ path, signature, sha256: 'f'.repeat(64) }]);
    expect(projectFileDigest(path)).toBe('f'.repeat(64));
    expect(vouchedDigests()).toContainEqual({ path, signature, sha256: 'f'.repeat(64) });
    // Vouched for an older stat: ignored, the file is hashed.
    vouchDigests([{ path, signature: `${signature}-old`, sha256: 'e'.repeat(64) }]);
    utimesSync(path, new Date(2032, 0, 1), new Date(2032, 0, 1));
    expect(projectFileDigest(path)).toBe(sha('vouched bytes'));
  });
});
