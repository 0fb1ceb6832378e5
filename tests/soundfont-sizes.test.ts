/**
 * A SoundFont that lies about its sizes is an error that names the file (and, in a build, the
 * song and track), never an out-of-memory crash or a stack trace: chunk sizes past the end of
 * the file (4 GB among them), pdta chunks that are not whole records or whose indices point
 * outside the next list, sample headers outside the smpl chunk or reversed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openProjectFile } from '../src/registry/file-store.ts';
import { utimesSync } from 'node:fs';
import { FileChangedError } from '../src/io/file-pieces.ts';
import { instrumentError } from '../src/render/stem.ts';
import { renderInstrument, type NoteEvent, InstrumentFileError } from '../src/ir/plugin.ts';
import { forgetSoundfonts, loadNamedSf2, parseSf2, Sf2FormatError, soundfont } from '../src/instruments/soundfont.ts';
import { writeSf2 } from '../src/io/sf2-write.ts';
import { createProject, REPO_ROOT } from './helpers/project.ts';
import { openBytes } from './helpers/instrument.ts';

const RATE = 48000;
const PATH = 'sounds/liar.sf2';

function honest(): Uint8Array {
  const data = Float32Array.from({ length: 4000 }, (_, i) => 0.5 * Math.sin(i / 10));
  return writeSf2({
    samples: [{ name: 'tone', data, sampleRate: 32000, rootKey: 60, loopStart: 1000, loopEnd: 3000 }],
    presets: [{ name: 'Tone', bank: 0, program: 0, zones: [{ sample: 'tone', keyRange: [0, 127], sampleModes: 1 }] }],
  });
}

/** Byte offset of the first chunk with this id (its 4-byte id; the size follows, then the data). */
function chunkAt(bytes: Uint8Array, id: string): number {
  const target = Array.from(id, (c) => c.charCodeAt(0));
  for (let i = 12; i + 4 <= bytes.length; i++) if (target.every((code, j) => bytes[i + j] === code)) return i;
  throw new Error(`no ${id} chunk`);
}

/** The honest bank with `edit` applied to a copy (a DataView over all of it). */
function lying(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = honest().slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

const SHDR_START = 20;
const SHDR_END = 24;
const SHDR_LOOP_START = 28;
const SHDR_LOOP_END = 32;

/** Set a u32 field of the first sample header. */
const sampleField = (field: number, value: number) =>
  lying((view, bytes) => view.setUint32(chunkAt(bytes, 'shdr') + 8 + field, value, true));

const LIES: Record<string, [Uint8Array, RegExp]> = {
  'a RIFF size of 4 GB': [lying((view) => view.setUint32(4, 0xffffffff, true)), /'RIFF' chunk at byte 0 claims 4294967295 bytes, but the file has only \d+ after its header/],
  'a smpl chunk of 4 GB': [lying((view, bytes) => view.setUint32(chunkAt(bytes, 'smpl') + 4, 0xfffffff0, true)), /'smpl' chunk at byte \d+ claims 4294967280 bytes, but its 'LIST sdta' chunk has only \d+/],
  'a pdta list running past the end of the file': [lying((view, bytes) => view.setUint32(chunkAt(bytes, 'pdta') - 4, bytes.length, true)), /'LIST' chunk at byte \d+ claims \d+ bytes, but its 'RIFF sfbk' chunk has only \d+/],
  'an shdr chunk that is not whole records': [lying((view, bytes) => view.setUint32(chunkAt(bytes, 'shdr') + 4, 46 * 2 - 2, true)), /'shdr' chunk is 90 bytes, not a whole number of 46-byte records/],
  'a preset pointing past the bag list': [lying((view, bytes) => view.setUint16(chunkAt(bytes, 'phdr') + 8 + 24, 999, true)), /'phdr' record 0 points to pbag record 999, but that chunk holds 2 records/],
  'bag indices going backwards': [
    lying((view, bytes) => {
      view.setUint16(chunkAt(bytes, 'ibag') + 8, 1, true);
      view.setUint16(chunkAt(bytes, 'ibag') + 8 + 4, 0, true);
    }),
    /'ibag' record 1 points to igen record 0, before the previous record's 1/,
  ],
  'a missing pmod chunk': [lying((_, bytes) => bytes.set([0x78], chunkAt(bytes, 'pmod'))), /pdta list holds 'phdr', 'pbag', 'xmod', .* not the nine chunks phdr, pbag, pmod/],
  'a sample ending past the smpl chunk': [sampleField(SHDR_END, 0x7fffffff), /sample 0 \('tone'\) ends at frame 2147483647, past the \d+ frames of the smpl chunk/],
  'a sample ending before it starts': [sampleField(SHDR_START, 4001), /sample 0 \('tone'\) ends at frame 4000, before its start 4001/],
  'a loop ending before it starts': [sampleField(SHDR_LOOP_START, 3500), /sample 0 \('tone'\) has its loop end 3000 before its loop start 3500/],
  'a loop past the smpl chunk': [sampleField(SHDR_LOOP_END, 0xfffffff0), /sample 0 \('tone'\) loops up to frame 4294967280, past the \d+ frames of the smpl chunk/],
};

function note(): NoteEvent {
  return { pitch: 60, velocity: 100, startSample: 0, lengthSamples: 4800, startTick: 0, lengthTicks: 480 };
}

const dir = mkdtempSync(join(tmpdir(), 'mixdown-sf2-lies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SoundFonts that lie about their sizes', () => {
  it('the honest bank the lies start from parses and plays', () => {
    const bank = parseSf2(honest());
    expect(bank.samples.map((sample) => [sample.start, sample.end, sample.startLoop, sample.endLoop])).toEqual([[0, 4000, 1000, 3000]]);
    const output = [new Float32Array(9600), new Float32Array(9600)];
    renderInstrument(soundfont.definition, { sampleRate: RATE, options: soundfont({ file: PATH }).options, notes: [note()], output, seed: 1, readAudio: () => ({ sampleRate: RATE, channels: [] }), readFile: () => honest(), openFile: () => openBytes(honest()) });
    expect(Math.max(...output[0].map(Math.abs))).toBeGreaterThan(0.05);
  });

  for (const [name, [bytes, detail]] of Object.entries(LIES)) {
    it(`rejects ${name}: the parser says what is wrong, the instrument names the file`, () => {
      let thrown: unknown;
      try {
        parseSf2(bytes);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Sf2FormatError);
      expect((thrown as Sf2FormatError).detail).toMatch(detail);
      // Read from the file in pieces, as a build reads it: the same lie found, before any read it claims.
      const file = join(dir, `${name.replace(/\W+/g, '-')}.sf2`);
      writeFileSync(file, bytes);
      expect(() => parseSf2(openProjectFile(file).file)).toThrow((thrown as Sf2FormatError).message);
      expect(() => loadNamedSf2(bytes, PATH)).toThrow(`'sounds/liar.sf2' cannot be used: not a SoundFont it can use: ${(thrown as Sf2FormatError).detail}`);
      expect(() => loadNamedSf2(bytes, PATH)).toThrow(InstrumentFileError);
      const output = [new Float32Array(4800), new Float32Array(4800)];
      expect(() =>
        renderInstrument(soundfont.definition, { sampleRate: RATE, options: soundfont({ file: PATH }).options, notes: [note()], output, seed: 1, readAudio: () => ({ sampleRate: RATE, channels: [] }), readFile: () => bytes, openFile: () => openBytes(bytes) }),
      ).toThrow(/^'sounds\/liar\.sf2' cannot be used: not a SoundFont it can use: /);
    });
  }

  it('a bank rewritten while a track reads it in pieces is MD312 naming its project path, not other bytes', () => {
    const path = join(dir, 'sounds', 'bank.sf2');
    mkdirSync(join(dir, 'sounds'), { recursive: true });
    writeFileSync(path, honest());
    const { file, sha256 } = openProjectFile(path);
    // Parsed from this file, not found by content among the banks the tests above parsed from bytes.
    forgetSoundfonts();
    const bank = loadNamedSf2({ file, sha256 }, 'sounds/bank.sf2');
    expect(bank.file).toBe(file);
    writeFileSync(path, honest().reverse());
    utimesSync(path, new Date(2033, 0, 1), new Date(2033, 0, 1));
    let thrown: unknown;
    try {
      // The first note of the sample reads its frames: the file's stat is no longer the hashed one.
      renderInstrument(soundfont.definition, { sampleRate: RATE, options: soundfont({ file: PATH }).options, notes: [note()], output: [new Float32Array(4800), new Float32Array(4800)], seed: 1, readAudio: () => ({ sampleRate: RATE, channels: [] }), readFile: () => new Uint8Array(), openFile: () => ({ file: bank.file, sha256 }) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FileChangedError);
    const coded = instrumentError(thrown, { file: 'songs/a/song.ts', song: 'a', track: 'keys' }, 'soundfont', dir);
    expect(coded.diagnostics[0]).toMatchObject({ code: 'MD312', track: 'keys', message: "reference 'sounds/bank.sf2' changed while the song was building" });
  });

  it('a build names the song, the track and the file, with a code, and no stack trace', async () => {
    const project = createProject({
      songs: {
        liar: `import { defineSong, soundfont, synth } from 'mixdown';
export default defineSong({
  title: 'Liar',
  tempo: 120,
  tail: 0.1,
  tracks: {
    keys: { instrument: soundfont({ file: '${PATH}' }), notes: [{ pitch: 'C4', start: '0:0:0', length: '4n' }] },
    lead: { instrument: synth(), notes: [{ pitch: 'E4', start: '0:0:0', length: '4n' }] },
  },
});
`,
      },
    });
    try {
      const [bytes] = LIES['a smpl chunk of 4 GB'];
      project.write(PATH, '');
      writeFileSync(`${project.root}/${PATH}`, bytes);
      const result = await project.build();
      expect(result.ok).toBe(false);
      const problems = result.songs[0].diagnostics;
      expect(problems).toHaveLength(1);
      // A bad file, not a bug in the instrument (MD236): the track, the file and the lie.
      expect(problems[0]).toMatchObject({ code: 'MD236', song: 'liar', track: 'keys', file: 'songs/liar/song.ts' });
      expect(problems[0].message).toMatch(/^track 'keys': instrument 'soundfont' cannot read 'sounds\/liar\.sf2': not a SoundFont it can use: its 'smpl' chunk at byte \d+ claims 4294967280 bytes/);

      // The command line: exit 1, the coded message, no stack trace, no crash.
      const run = spawnSync(process.execPath, [`${REPO_ROOT}/bin/mixdown.js`, 'build', '--jobs', '1'], { cwd: project.root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=256' } });
      const printed = run.stdout + run.stderr;
      expect(run.status, printed).toBe(1);
      expect(printed).toContain('MD236');
      expect(printed).toContain("track 'keys'");
      expect(printed).toContain("cannot read 'sounds/liar.sf2': not a SoundFont it can use: its 'smpl' chunk");
      expect(printed).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
      expect(printed).not.toMatch(/internal error|heap out of memory/i);
    } finally {
      project.dispose();
    }
  }, 120_000);
});
