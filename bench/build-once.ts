/** One build in its own process, so the benchmark can read this process's peak RSS. */
import { build } from '../src/build/build.ts';

export async function main(args: string[]): Promise<number> {
  const [root, jobs] = args;
  const started = performance.now();
  const result = await build({ root, jobs: jobs ? Number(jobs) : undefined });
  const seconds = (performance.now() - started) / 1000;
  const audioSeconds = result.songs.reduce((sum, song) => sum + (song.report?.durationSeconds ?? 0), 0);
  process.stdout.write(
    `${JSON.stringify({ ok: result.ok, seconds, rendered: result.rendered, cached: result.cached, audioSeconds, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
  return result.ok ? 0 : 1;
}
