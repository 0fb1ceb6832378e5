import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegSummary } from './helpers/audio.ts';
import { createProject, REPO_ROOT, type TestProject } from './helpers/project.ts';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
const BIN = join(REPO_ROOT, 'bin', 'mixdown.js');

// Sixteen bars of drums, bass and chords that get louder: material with transients, high
// frequencies (hats) and a loudness range, as music has.
const SONG = `
import { defineSong, drums, grid, progression, repeat, synth, velocityRamp } from 'mixdown';
const chords = progression('D minor', ['i', 'VI', 'III', 'VII'], { octave: 3 });
export default defineSong({
  title: 'Meter', tempo: 124, seed: 9, tail: 0.5,
  tracks: {
    beat: { instrument: drums(), notes: velocityRamp(repeat([...grid('X...x...X...x...', 36), ...grid('....x.......x...', 38), ...grid('x.x.x.x.x.x.x.xo', 42)], 16, '1m'), 30, 127) },
    bass: { instrument: synth({ wave: 'saw', filter: { cutoff: 400 } }), notes: velocityRamp(repeat(grid('x..x..x.x..x..x.', 'D2', { step: '16n' }), 16, '1m'), 20, 127) },
    keys: { instrument: synth({ wave: 'square' }), gain: -6, notes: chords.flatMap((chord, i) => chord.map((pitch) => ({ pitch, start: { bars: 4 * i }, length: '4m' as const, velocity: 40 + 25 * i }))) },
  },
});
`;

describe('mixdown analyze', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = createProject({ songs: { meter: SONG } });
    const result = await project.build();
    expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
  });
  afterAll(() => project.dispose());

  const analyze = (...args: string[]) => spawnSync(process.execPath, [BIN, 'analyze', ...args], { cwd: project.root, encoding: 'utf8' });

  it('prints loudness, range and peaks, and --json for machines, with deltas to a reference', () => {
    const text = analyze('dist/meter/master.wav');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/integrated\s+-\d+\.\d LUFS/);
    expect(text.stdout).toMatch(/true peak\s+-\d+\.\d dBTP/);
    const json = JSON.parse(analyze('--json', 'dist/meter/stems/bass.wav', '--reference', 'dist/meter/master.wav').stdout);
    expect(json.files[0]).toMatchObject({ file: 'dist/meter/stems/bass.wav', sampleRate: 48000, channels: 2 });
    expect(json.files[0].integrated).toBeLessThan(json.reference.integrated);
    expect(json.reference.truePeak).toBeGreaterThanOrEqual(json.reference.samplePeak);
    const missing = analyze('nope.wav');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('MD405');
    // A WAV header that lies about its size: a named error, quickly, not a hang or a crash.
    project.write('liar.wav', 'RIFF\u00ff\u00ff\u00ff\u007fWAVEfmt \u0010\u0000\u0000\u0000garbage');
    const liar = analyze('liar.wav');
    expect(liar.status).toBe(1);
    expect(liar.stderr).toContain('MD405');
    expect(liar.stderr).toContain('liar.wav');
  });

  it.skipIf(!hasFfmpeg)('agrees with ffmpeg -af ebur128=peak=true within 0.1 LU and 0.1 dB', () => {
    for (const file of ['dist/meter/master.wav', 'dist/meter/mix.wav', 'dist/meter/stems/beat.wav', 'dist/meter/stems/keys.wav']) {
      const ours = JSON.parse(analyze('--json', file).stdout).files[0];
      const theirs = ffmpegSummary(join(project.root, file));
      // ffmpeg prints one decimal: compare at that precision.
      const oneDecimal = (value: number) => Math.round(value * 10) / 10;
      expect(Math.abs(oneDecimal(ours.integrated) - theirs.I), `${file} I ${ours.integrated} vs ${theirs.I}`).toBeLessThanOrEqual(0.1 + 1e-9);
      expect(Math.abs(oneDecimal(ours.range) - theirs.LRA), `${file} LRA ${ours.range} vs ${theirs.LRA}`).toBeLessThanOrEqual(0.1 + 1e-9);
      expect(Math.abs(oneDecimal(ours.truePeak) - theirs.peak), `${file} TP ${ours.truePeak} vs ${theirs.peak}`).toBeLessThanOrEqual(0.1 + 1e-9);
    }
  });
});
