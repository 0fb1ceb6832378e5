import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectFileDigest, readProjectFile } from '../src/registry/file-store.ts';

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
