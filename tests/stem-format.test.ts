import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../src/io/wav.ts';
import { createProject } from './helpers/project.ts';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

/** A short song whose lead is hot enough to clip at full scale in integer PCM. */
const song = (format: string | null) => `import { defineSong, drums, GM_DRUMS, synth } from 'mixdown';
export default defineSong({
  title: 'F', tempo: 120, tail: 0.2,
  ${format ? `stems: { format: '${format}' },` : ''}
  tracks: {
    lead: { instrument: synth({ level: 6 }), gain: 6, notes: [{ pitch: 'A3', start: '0:0:0', length: '2n' }, { pitch: 'E4', start: '0:2:0', length: '4n' }], output: 'group' },
    kick: { instrument: drums(), notes: [0, 1, 2, 3].map((beat) => ({ pitch: GM_DRUMS.kick, start: '0:' + beat + ':0', length: '16n' })) },
  },
  buses: { group: { gain: -2 } },
});
`;

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function built(format: string | null, whole = false) {
  const project = createProject({ songs: { f: song(format) } });
  if (whole) process.env.MIXDOWN_WHOLE_SONG = '1';
  try {
    const result = await project.build();
    expect(result.ok, JSON.stringify(result.diagnostics)).toBe(true);
    return project;
  } finally {
    delete process.env.MIXDOWN_WHOLE_SONG;
  }
}

describe('stems: { format }', () => {
  it("'wav24' writes 24-bit PCM stems and bus stems: the float stems rounded, clipped at full scale; mix and master unchanged", async () => {
    const float = await built(null);
    const pcm = await built('wav24');
    const whole = await built('wav24', true);
    try {
      for (const path of ['stems/lead.wav', 'stems/kick.wav', 'buses/group.wav']) {
        const a = decodeWav(float.bytes(`dist/f/${path}`));
        const b = decodeWav(pcm.bytes(`dist/f/${path}`));
        expect(a.format).toBe('float');
        expect([b.format, b.bitsPerSample]).toEqual(['pcm', 24]);
        let clipped = 0;
        for (let c = 0; c < 2; c++) {
          for (let i = 0; i < a.channels[c].length; i++) {
            const x = a.channels[c][i];
            const expected = Math.max(-1, Math.min((2 ** 23 - 1) / 2 ** 23, Math.round(x * 2 ** 23) / 2 ** 23));
            if (Math.abs(x) > 1) clipped++;
            if (Math.abs(b.channels[c][i] - expected) > 1e-9) expect.fail(`${path} channel ${c} sample ${i}: ${b.channels[c][i]} for ${x}`);
          }
        }
        if (path === 'stems/lead.wav') expect(clipped, 'the lead is hot enough to clip').toBeGreaterThan(0);
        // Streamed and whole-song strips write the same file.
        expect(sha(whole.bytes(`dist/f/${path}`))).toBe(sha(pcm.bytes(`dist/f/${path}`)));
      }
      for (const path of ['mix.wav', 'master.wav']) expect(sha(pcm.bytes(`dist/f/${path}`)), path).toBe(sha(float.bytes(`dist/f/${path}`)));
      // The room page of the song was written, its lanes pointing at the 24-bit files.
      expect(pcm.read('dist/f/index.html')).toContain('stems/lead.wav');
    } finally {
      for (const project of [float, pcm, whole]) project.dispose();
    }
  }, 120_000);

  it.skipIf(!hasFfmpeg)("'flac' writes .flac stems holding exactly the 24-bit samples (read back by ffmpeg), streamed or whole; switching back removes them", async () => {
    const pcm = await built('wav24');
    const flac = await built('flac');
    const whole = await built('flac', true);
    try {
      for (const path of ['stems/lead', 'stems/kick', 'buses/group']) {
        const file = join(flac.root, `dist/f/${path}.flac`);
        expect(existsSync(file), path).toBe(true);
        expect(existsSync(join(flac.root, `dist/f/${path}.wav`)), path).toBe(false);
        const decoded = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 's24le', '-acodec', 'pcm_s24le', '-'], { maxBuffer: 1 << 28 });
        expect(decoded.status, decoded.stderr?.toString()).toBe(0);
        const wav = pcm.bytes(`dist/f/${path}.wav`);
        expect(Buffer.compare(decoded.stdout, wav.subarray(44)), path).toBe(0);
        expect(sha(whole.bytes(`dist/f/${path}.flac`))).toBe(sha(flac.bytes(`dist/f/${path}.flac`)));
      }
      expect(flac.read('dist/f/index.html')).toContain('stems/lead.flac');
      // Back to float stems: the .flac files go, .wav files come back.
      flac.write('songs/f/song.ts', song(null));
      expect((await flac.build()).ok).toBe(true);
      expect(existsSync(join(flac.root, 'dist/f/stems/lead.flac'))).toBe(false);
      expect(decodeWav(flac.bytes('dist/f/stems/lead.wav')).format).toBe('float');
    } finally {
      for (const project of [pcm, flac, whole]) project.dispose();
    }
  }, 120_000);

  it('names a format it does not know', async () => {
    const project = createProject({ songs: { f: song('mp3') } });
    try {
      const result = await project.build();
      expect(result.ok).toBe(false);
      const messages = [...result.diagnostics, ...result.songs.flatMap((one) => one.diagnostics)].map((p) => `${p.code} ${p.file} ${p.message}`).join('\n');
      expect(messages).toMatch(/songs\/f\/song\.ts .*stems format/);
      expect(messages).toMatch(/'float32', 'wav24' or 'flac'/);
    } finally {
      project.dispose();
    }
  });
});
