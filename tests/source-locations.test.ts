import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TestProject } from './helpers/project.ts';

// Line numbers matter in this source: each line says what is on it.
const SONG = [
  "import { defineSong, synth, compressor } from 'mixdown';", // 1
  "const riff = (octave: number) => [{ pitch: 12 * octave + 9, start: '0:0:0' as const, length: '4n' as const }];", // 2
  'const shared = {', // 3
  "  notes: [{ pitch: 'A3' as const, start: '0:0:0' as const, length: '4n' as const }, { pitch: 300, start: '0:1:0' as const, length: '4n' as const }],", // 4
  '};', // 5
  'export default defineSong({', // 6
  "  title: 'Located',", // 7
  '  tempo: 120,', // 8
  '  sections: { verse: 1 },', // 9
  "  form: ['verse', 'bridge'],", // 10
  '  tracks: {', // 11
  '    lead: {', // 12
  '      instrument: synth(),', // 13
  '      notes: [', // 14
  "        { pitch: 'A4', start: '0:0:0', length: '4n' },", // 15
  "        { pitch: 'A4', start: '0:1:0', length: '4n', velocity: 300 },", // 16
  '      ],', // 17
  '      parts: { verse: riff(20), chrous: [] },', // 18
  '    },', // 19
  '    pad: {', // 20
  '      instrument: synth(),', // 21
  '      effects: [compressor({ ratio: 4 }), compressor({ treshold: -10 } as never)],', // 22
  '      parts: { verse: shared },', // 23
  '    },', // 24
  '  },', // 25
  '});', // 26
].join('\n');

describe('source locations of semantic errors (ts-morph)', () => {
  let project: TestProject;
  beforeAll(() => {
    project = createProject({ songs: { located: SONG } });
  });
  afterAll(() => project.dispose());

  it('points each error at the syntax that made the value, or the call that did', async () => {
    const result = await project.build();
    const found = result.songs[0].diagnostics.map((problem) => [problem.code, problem.line, problem.column]);
    expect(found).toEqual([['MD219', 10, 19]]);
    // With the form fixed, the track-level errors show.
    project.write('songs/located/song.ts', SONG.replace("'verse', 'bridge'", "'verse'"));
    const second = await project.build();
    const byCode = second.songs[0].diagnostics.map((problem) => `${problem.code} ${problem.line}:${problem.column} ${problem.message}`);
    expect(byCode).toEqual([
      "MD208 16:9 track 'lead' note 1: velocity 300 is outside 1–127",
      // An unknown section: the key that names it.
      "MD219 18:33 track 'lead' has a part for unknown section 'chrous'",
      // A note made by a helper call: the call is the location.
      "MD202 18:23 track 'lead' part 'verse' note 0: pitch 249 is outside MIDI's 0–127",
      expect.stringMatching(/^MD231 22:43 track 'pad' effect 'compressor-2' option 'treshold' is not an option/),
      // A note in an object declared elsewhere in the file: followed to its element.
      "MD202 4:85 track 'pad' part 'verse' note 1: pitch 300 is outside MIDI's 0–127",
    ]);
    expect(second.songs[0].diagnostics[2].frame).toContain('riff(20)');
  });
});
