/**
 * Run in a child process (tests/master-stream.test.ts): writes a long synthetic stereo mix into
 * a fresh object store a block at a time, then runs the master task on it (loudness target,
 * glue compressor, EQ, multiband, dither) and prints, as JSON, the process's resident
 * memory before the master task and its peak afterwards (getrusage), and the task's CPU time.
 * Usage: node --max-old-space-size=N bin/run-ts.js tests/helpers/master-memory.ts <store> <seconds>
 */
import { elaborateMaster } from '../../src/elaborate/master.ts';
import { CacheStore } from '../../src/cache/store.ts';
import { float32WavHeader } from '../../src/io/wav.ts';
import { runTask } from '../../src/render/run-task.ts';
import type { MasterTask } from '../../src/plan/graph.ts';

const RATE = 48000;

export async function main([root, secondsText]: string[]): Promise<number> {
  const seconds = Number(secondsText);
  const frames = seconds * RATE;
  const cache = new CacheStore(root);
  const writer = cache.createWriter();
  writer.write(float32WavHeader(frames, 2, RATE));
  const block = new Float32Array(2 * 48000);
  let state = 12345;
  for (let start = 0; start < frames; start += 48000) {
    const count = Math.min(48000, frames - start);
    for (let i = 0; i < count; i++) {
      const t = (start + i) / RATE;
      // A tune that gets louder and quieter every 20 s, with noise (deterministic: xorshift).
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const noise = (state >>> 0) / 4294967296 - 0.5;
      const level = 0.2 + 0.15 * Math.sin((2 * Math.PI * t) / 20);
      block[2 * i] = level * (Math.sin(2 * Math.PI * 110 * t) + 0.3 * noise);
      block[2 * i + 1] = level * (Math.sin(2 * Math.PI * 165 * t) + 0.3 * noise);
    }
    writer.writeFloat32(block, 2 * count);
    if (writer.full) await writer.room();
  }
  const mix = cache.installWritten(await writer.finish());
  cache.releaseMemory();
  const settings = elaborateMaster(
    { loudness: 'streaming', eq: [{ type: 'highPass', frequency: 30, slope: 24 }], compressor: { threshold: -20 }, multiband: { bands: [{ threshold: -24 }, {}, { threshold: -30 }] } },
    RATE,
    { file: 'songs/long/song.ts', line: 1, column: 1, song: 'long' },
    [],
  );
  const task = { id: 'master', kind: 'master', params: { settings, ditherSeed: 7 }, deps: ['mix'], inputs: {}, key: 'memory-test' } as MasterTask;
  global.gc?.();
  const before = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const output = await runTask(task, [mix], { song: 'long', file: 'songs/long/song.ts', cacheRoot: root, projectRoot: root });
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({
    rssBeforeMb: before / 2 ** 20,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: (used.user + used.system) / 1e6,
    integrated: output.meta.integrated,
    masterBytes: output.outputs.audio.bytes,
    outputs: Object.keys(output.outputs).sort(),
  }));
  return 0;
}
