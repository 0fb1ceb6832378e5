/**
 * A SoundFont is never held whole: a build opens the bank, reads its records and the
 * samples its notes play, and hashes it in pieces, in every thread. Two builds of the same
 * song (four tracks on one bank, rendered by two workers) differ only in the bank: one small,
 * one with 160 MB of sample data no note plays. The big bank's build may not grow the
 * process's peak RSS by more than a fraction of that (reading it whole in the planning
 * thread and in each worker, as builds did, added over 300 MB), and the stems are the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSf2 } from '../src/io/sf2-write.ts';
import { createProject, distDigests, REPO_ROOT } from './helpers/project.ts';

/** Sample data no note plays, appended to the smpl chunk. */
const PADDING_BYTES = 160 * 1024 * 1024;

function smallBank(): Uint8Array {
  const data = Float32Array.from({ length: 24000 }, (_, i) => 0.4 * Math.sin(i / 9) * Math.exp(-i / 12000));
  return writeSf2({
    samples: [{ name: 'tone', data, sampleRate: 48000, rootKey: 60, loopStart: 8000, loopEnd: 20000 }],
    presets: [{ name: 'Tone', bank: 0, program: 0, zones: [{ sample: 'tone', keyRange: [0, 127], sampleModes: 1, releaseTimecents: -2000 }] }],
  });
}

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
}

function offsetOf(bytes: Uint8Array, id: string): number {
  const target = Array.from(id, (c) => c.charCodeAt(0));
  for (let i = 12; i + 4 <= bytes.length; i++) if (target.every((code, j) => bytes[i + j] === code)) return i;
  throw new Error(`no ${id} chunk`);
}

/**
 * The bank with `padding` zero bytes more at the end of its smpl chunk (after every sample, so
 * no header moves), the RIFF, sdta and smpl sizes grown to match: an honest, bigger file,
 * written in pieces.
 */
function writeBank(path: string, bank: Uint8Array, padding: number): void {
  const bytes = bank.slice();
  const view = new DataView(bytes.buffer);
  const smpl = offsetOf(bytes, 'smpl');
  const sdtaSize = offsetOf(bytes, 'sdta') - 4;
  const smplEnd = smpl + 8 + u32(bytes, smpl + 4);
  view.setUint32(4, u32(bytes, 4) + padding, true);
  view.setUint32(sdtaSize, u32(bytes, sdtaSize) + padding, true);
  view.setUint32(smpl + 4, u32(bytes, smpl + 4) + padding, true);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, bytes, 0, smplEnd);
    const zeros = new Uint8Array(1 << 20);
    for (let left = padding; left > 0; left -= zeros.length) writeSync(fd, zeros, 0, Math.min(left, zeros.length));
    writeSync(fd, bytes, smplEnd, bytes.length - smplEnd);
  } finally {
    closeSync(fd);
  }
}

const SONG = `import { defineSong, soundfont } from 'mixdown';
const notes = (pitch: string) => Array.from({ length: 8 }, (_, i) => ({ pitch, start: { ticks: i * 960 }, length: '8n' as const }));
export default defineSong({
  title: 'Bank',
  tempo: 120,
  tail: 0.5,
  tracks: {
    a: { instrument: soundfont({ file: 'sounds/bank.sf2' }), notes: notes('C4') },
    b: { instrument: soundfont({ file: 'sounds/bank.sf2' }), notes: notes('E4') },
    c: { instrument: soundfont({ file: 'sounds/bank.sf2' }), notes: notes('G4') },
    d: { instrument: soundfont({ file: 'sounds/bank.sf2' }), notes: notes('C5') },
  },
});
`;

/** A cold `mixdown build --jobs 2` in a fresh process: its peak RSS in MB and the stems' digests. */
function coldBuild(padding: number): { rssMb: number; stems: Record<string, string> } {
  const project = createProject({ songs: { bank: SONG } });
  try {
    project.write('sounds/bank.sf2', '');
    writeBank(join(project.root, 'sounds/bank.sf2'), smallBank(), padding);
    const run = spawnSync(process.execPath, ['--import', join(REPO_ROOT, 'bench/rss-reporter.mjs'), join(REPO_ROOT, 'bin/mixdown.js'), 'build', '--jobs', '2'], { cwd: project.root, encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const rss = /BENCH_RSS_MB ([\d.]+)/.exec(run.stderr);
    expect(rss, run.stderr).not.toBeNull();
    const stems = distDigests(project.root, (name) => name.endsWith('.wav') && !name.startsWith('master') && !name.startsWith('mix'));
    return { rssMb: Number(rss![1]), stems };
  } finally {
    project.dispose();
  }
}

describe('SoundFont memory', () => {
  it('a bank of 160 MB more sample data, none of it played, adds little to a build with two workers and changes no stem', () => {
    const small = coldBuild(0);
    const big = coldBuild(PADDING_BYTES);
    console.log(`peak RSS of a cold build with two workers: ${small.rssMb} MB with the small bank, ${big.rssMb} MB with 160 MB more sample data`);
    expect(Object.keys(small.stems)).toHaveLength(4);
    expect(big.stems).toEqual(small.stems);
    // Read whole in even one thread, the bank alone would add 160 MB.
    expect(big.rssMb - small.rssMb, `peak RSS ${small.rssMb} MB with the small bank, ${big.rssMb} MB with the big one`).toBeLessThan(60);
  }, 180_000);
});
