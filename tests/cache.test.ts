import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir } from '../src/pipeline/build.ts';
import { CacheStore } from '../src/cache/store.ts';
import { canonicalJson, hashValue } from '../src/ir/hash.ts';
import { createProject, renderedTasks } from './helpers/project.ts';

describe('canonical hashing', () => {
  it('ignores key order and undefined, and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 'x' }] })).toBe('{"a":[2,{"c":"x"}],"b":1}');
    expect(hashValue({ a: 1, b: 2 })).toBe(hashValue({ b: 2, a: 1 }));
    expect(hashValue([1, 2])).not.toBe(hashValue([2, 1]));
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });
});

describe('the cache store', () => {
  it('verifies digests on read and discards a corrupt object', () => {
    const root = mkdtempSync(join(tmpdir(), 'mixdown-cache-'));
    try {
      const corrupt: string[] = [];
      const store = new CacheStore(root, (digest) => corrupt.push(digest));
      const record = store.putObject(new Uint8Array([1, 2, 3, 4]));
      store.putAction({ key: 'k'.repeat(64), kind: 'stem', outputs: { audio: record }, meta: {}, inputs: {} });
      expect(store.getAction('k'.repeat(64))?.outputs.audio.digest).toBe(record.digest);
      const path = join(root, 'objects', record.digest.slice(0, 2), record.digest);
      writeFileSync(path, new Uint8Array([1, 2, 3, 5]));
      // A store trusts what it wrote itself; a new one (the next build) checks every read.
      const next = new CacheStore(root, (digest) => corrupt.push(digest));
      expect(next.getObject(record.digest)).toBeUndefined();
      expect(corrupt).toEqual([record.digest]);
      // With its object gone, the action is no longer a hit.
      expect(next.getAction('k'.repeat(64))).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('writes objects behind when it keeps them in memory: readable at once, on disk after a flush', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mixdown-cache-'));
    try {
      const store = new CacheStore(root, () => {}, 1 << 20);
      const bytes = new Uint8Array(4096).map((_, i) => i * 7);
      const record = store.putObject(bytes);
      const path = join(root, 'objects', record.digest.slice(0, 2), record.digest);
      // Usable from memory straight away, and counted as present for hits in this build…
      expect(store.getObject(record.digest)).toBe(bytes);
      expect(store.hasObject(record.digest)).toBe(true);
      // …but nothing may link it into dist/ before its file is complete.
      expect(() => store.copyObjectTo(record.digest, join(root, 'out.bin'))).toThrow(/flush/);
      await store.flush([record.digest]);
      expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
      // A fresh store (the next build) finds and verifies it on disk.
      expect(new CacheStore(root).getObject(record.digest)).toEqual(bytes);
      expect(store.copyObjectTo(record.digest, join(root, 'out.bin'))).toBe(true);
      // Without memory to keep it in, a store writes before returning.
      const plain = new CacheStore(join(root, 'plain'));
      const other = plain.putObject(new Uint8Array([9, 9, 9]));
      expect(readdirSync(join(root, 'plain', 'objects', other.digest.slice(0, 2)))).toEqual([other.digest]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('re-renders a task whose cached object was corrupted, with a warning', async () => {
    const project = createProject({ copy: ['tiny'] });
    try {
      await project.build();
      const objects = join(cacheDir(project.root), 'objects');
      // Corrupt every object that holds the lead stem (found by its digest in the report).
      const report = JSON.parse(project.read('dist/tiny/report.json'));
      const lead = report.outputs.find((output: { path: string }) => output.path === 'stems/lead.wav').sha256;
      const path = join(objects, lead.slice(0, 2), lead);
      const bytes = readFileSync(path);
      bytes[1000] ^= 0xff;
      writeFileSync(path, bytes);
      // Make the emitted file stale so the object must be read.
      rmSync(join(project.root, 'dist/tiny/stems/lead.wav'));
      const warnings: string[] = [];
      const result = await project.build({
        onEvent: (event) => {
          if (event.type === 'warning') warnings.push(event.diagnostic.code);
        },
      });
      expect(result.ok).toBe(true);
      expect(warnings).toEqual(['MD302']);
      expect(renderedTasks(result, 'tiny')).toEqual(['stem:lead']);
      const again = readFileSync(join(project.root, 'dist/tiny/stems/lead.wav'));
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(again).digest('hex')).toBe(lead);
      expect(readdirSync(objects).length).toBeGreaterThan(0);
    } finally {
      project.dispose();
    }
  });
});
