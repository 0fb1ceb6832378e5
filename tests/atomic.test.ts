import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkOrCopyAtomicSync } from '../src/io/atomic.ts';

describe('linkOrCopyAtomicSync', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mixdown-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves no temp file when the target is already a link to the object (rename of one link onto another is a no-op)', () => {
    const object = join(dir, 'object');
    const target = join(dir, 'out', 'master.wav');
    writeFileSync(object, 'bytes');
    linkOrCopyAtomicSync(object, target);
    linkOrCopyAtomicSync(object, target); // as after a killed build that emitted but did not record it
    expect(readdirSync(join(dir, 'out'))).toEqual(['master.wav']);
    expect(statSync(target).ino).toBe(statSync(object).ino);
  });

  it('replaces a target that holds other bytes, atomically, with a link to the object', () => {
    const object = join(dir, 'object');
    const other = join(dir, 'other');
    const target = join(dir, 'master.wav');
    writeFileSync(object, 'new');
    writeFileSync(other, 'old');
    linkSync(other, target);
    linkOrCopyAtomicSync(object, target);
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(readFileSync(other, 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['master.wav', 'object', 'other']);
  });
});
