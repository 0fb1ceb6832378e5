import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWavPcm, decodeWav } from '../src/io/wav.ts';
import { writeSf2 } from '../src/io/sf2-write.ts';
import { createProject, renderedTasks, type TestProject } from './helpers/project.ts';
import { firstNonSilent, peakFrequency } from './helpers/audio.ts';

const RATE = 48000;

/** One second of a sine at `hz`, recorded at `rate`. */
function sine(hz: number, rate: number, seconds = 1): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate));
}

const SONG = `
import { defineSong, sampler, soundfont, kit, audioTrack, clip } from 'mixdown';
export default defineSong({
  title: 'Samples',
  tempo: 120,
  tail: 0.5,
  tracks: {
    keys: {
      instrument: sampler({ zones: [{ file: 'samples/a4.wav', root: 69, keys: [0, 127] }], envelope: { release: 0.05 } }),
      notes: [{ pitch: 'A5', start: '0:0:0', length: '2n' }],
    },
    gm: {
      instrument: soundfont({ file: 'samples/tiny.sf2', program: 0 }),
      notes: [{ pitch: 'A4', start: '0:2:0', length: '2n' }],
    },
    beat: {
      instrument: kit({ pads: { 36: { synth: 'kick' }, 38: { sample: 'samples/a4.wav' } } }),
      notes: [{ pitch: 36, start: '0:0:0', length: '8n' }, { pitch: 38, start: '0:1:0', length: '8n' }],
    },
    vox: audioTrack([clip('samples/a4.wav', '0:3:0', { length: '4n', fadeIn: 0.01 })]),
  },
});
`;

describe('samples in a build', () => {
  let project: TestProject;
  beforeAll(() => {
    project = createProject({ songs: { sampled: SONG } });
    // Recorded at 44.1 kHz: decoded and resampled to the song's 48 kHz by the task.
    project.write('samples/a4.wav', '');
    fs.writeFileSync(`${project.root}/samples/a4.wav`, encodeWavPcm([sine(440, 44100)], 44100, 16));
    const data = sine(440, 44100, 0.5);
    const sf2 = writeSf2({ samples: [{ name: 'a4', data, sampleRate: 44100, rootKey: 69, loopStart: 0, loopEnd: data.length }], presets: [{ name: 'Tone', bank: 0, program: 0, zones: [{ sample: 'a4', keyRange: [0, 127] }] }] });
    fs.writeFileSync(`${project.root}/samples/tiny.sf2`, sf2);
  });
  afterAll(() => project.dispose());

  it('renders sampler, SoundFont, kit and clip tracks at the right pitch and time', async () => {
    const result = await project.build({ jobs: 2 });
    expect(result.ok, JSON.stringify(result.songs[0]?.diagnostics)).toBe(true);
    const stem = (id: string) => decodeWav(project.bytes(`dist/sampled/stems/${id}.wav`)).channels[0];
    expect(peakFrequency(stem('keys'), RATE, 2400, 16384, 200, 2000)).toBeCloseTo(880, 0);
    const gm = stem('gm');
    // SoundFont's default volume envelope waits 1 ms (delayVolEnv −12000 timecents) before its attack.
    expect(firstNonSilent(gm)).toBeGreaterThanOrEqual(RATE + 48);
    expect(firstNonSilent(gm)).toBeLessThanOrEqual(RATE + 49);
    expect(peakFrequency(gm, RATE, RATE + 2400, 16384, 200, 2000)).toBeCloseTo(440, 0);
    const vox = stem('vox');
    // The clip starts on beat 4 (sample 72000) with the sine's zero crossing under a fade from 0.
    expect(firstNonSilent(vox)).toBe(1.5 * RATE + 1);
    expect(vox[1.5 * RATE - 1]).toBe(0);
    expect(firstNonSilent(stem('beat'), 1e-6)).toBe(0);
  });

  it('re-renders exactly the tracks that read a sample file when its content changes', async () => {
    fs.writeFileSync(`${project.root}/samples/a4.wav`, encodeWavPcm([sine(330, 44100)], 44100, 16));
    const reasons: Record<string, readonly string[]> = {};
    const result = await project.build({ onEvent: (event) => void (event.type === 'task-done' && event.reasons && (reasons[event.result.id] = event.reasons)) });
    expect(renderedTasks(result, 'sampled')).toEqual(['master', 'mix', 'stem:beat', 'stem:keys', 'stem:vox']);
    expect(reasons['stem:keys']).toEqual(['content of file samples/a4.wav changed']);
  });

  it('names the song, track and path of a missing or corrupt sample', async () => {
    fs.rmSync(`${project.root}/samples/tiny.sf2`);
    const missing = await project.build();
    expect(missing.songs[0].diagnostics.map((problem) => [problem.code, problem.track, problem.message])).toEqual([
      ['MD236', 'gm', "track 'gm': instrument 'soundfont' cannot read 'samples/tiny.sf2': no such file"],
    ]);
    fs.writeFileSync(`${project.root}/samples/tiny.sf2`, Buffer.from('RIFF\u0004\u0000\u0000\u0000sfbkgarbage'));
    fs.writeFileSync(`${project.root}/samples/a4.wav`, Buffer.from('RIFF$\u0000\u0000\u0000WAVEfmt garbage'));
    const corrupt = await project.build();
    expect(corrupt.ok).toBe(false);
    const problems = corrupt.songs[0].diagnostics;
    expect(problems[0]).toMatchObject({ code: expect.stringMatching(/^MD(236|301)$/), song: 'sampled', file: 'songs/sampled/song.ts' });
    expect(problems[0].message).toMatch(/samples\/(a4\.wav|tiny\.sf2)/);
  });
});
