/**
 * `mixdown import-midi <file.mid> [--name id] [--force]`: turns a MIDI file into an
 * editable, typed song module — songs/<id>/song.ts — written with ts-morph so it comes
 * out as formatted TypeScript: tempo map, meter, one track per MIDI track (drums on
 * channel 10 become `drums()`, the rest `synth()` with their General MIDI program).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { Project, QuoteKind, type CodeBlockWriter } from 'ts-morph';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { readMidi, type MidiFileData, type MidiTrackData } from '../io/midi-read.ts';
import { pitchName } from '../theory/pitch.ts';

export interface ImportOptions {
  /** Song id (folder name). @default from the file name */
  readonly name?: string;
  /** Replace an existing song.ts. @default false */
  readonly force?: boolean;
}

/** Lower-case, dash-separated: a name that can be a track id or a folder. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function trackIds(tracks: readonly MidiTrackData[]): string[] {
  const used = new Set<string>();
  return tracks.map((track, index) => {
    let id = slug(track.name) || (track.drums ? 'drums' : `track-${index + 1}`);
    if (!/^[a-z0-9]/.test(id)) id = `track-${id}`;
    let unique = id;
    for (let n = 2; used.has(unique); n++) unique = `${id}-${n}`;
    used.add(unique);
    return unique;
  });
}

/** Bars (0-based) of each meter change, walking the meter map from the start. */
function meterBars(data: MidiFileData): { bar: number; numerator: number; denominator: number }[] {
  const meters = data.meters.length ? data.meters : [{ tick: 0, numerator: 4, denominator: 4 }];
  const result: { bar: number; numerator: number; denominator: number }[] = [];
  let bar = 0;
  meters.forEach((meter, i) => {
    if (i > 0) {
      const previous = meters[i - 1];
      bar += Math.round((meter.tick - previous.tick) / (previous.numerator * ((960 * 4) / previous.denominator)));
    }
    if (result.length && result[result.length - 1].bar === bar) result.pop();
    result.push({ bar, numerator: meter.numerator, denominator: meter.denominator });
  });
  return result;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** A single-quoted TypeScript string literal. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** An object key: bare when it is an identifier. */
function key(text: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(text) ? text : quote(text);
}

/** A channel strip as an imported song module writes it (every field left out is mixdown's default). */
export interface ChannelSketch {
  /** dB. */
  readonly gain?: number;
  /** -1 … 1. */
  readonly pan?: number;
  readonly mute?: boolean;
  /** A bus id (the master when left out). */
  readonly output?: string;
  readonly sends?: readonly { readonly to: string; readonly level: number; readonly pre: boolean }[];
}

/** What a DAW project adds to a MIDI file's content (`import-dawproject`). */
export interface ModuleExtras {
  /** Tempo points that glide linearly to the next one, by tick. */
  readonly ramps?: ReadonlySet<number>;
  readonly sections?: readonly { readonly name: string; readonly bars: number }[];
  readonly form?: readonly string[];
  /** One per track of the data, by index. */
  readonly channels?: readonly ChannelSketch[];
  readonly buses?: readonly { readonly id: string; readonly name: string; readonly channel: ChannelSketch }[];
  /** The first line's comment. */
  readonly origin?: string;
}

/** A channel strip's lines, each `key: value,` (none for every default). */
function channelLines(channel: ChannelSketch | undefined): string[] {
  if (!channel) return [];
  const lines: string[] = [];
  if (channel.gain !== undefined && round(channel.gain) !== 0) lines.push(`gain: ${round(channel.gain)},`);
  if (channel.pan !== undefined && round(channel.pan) !== 0) lines.push(`pan: ${round(channel.pan)},`);
  if (channel.mute) lines.push('mute: true,');
  if (channel.output && channel.output !== 'master') lines.push(`output: ${quote(channel.output)},`);
  if (channel.sends?.length) lines.push(`sends: [${channel.sends.map((send) => `{ to: ${quote(send.to)}, level: ${round(send.level)}${send.pre ? ', pre: true' : ''} }`).join(', ')}],`);
  return lines;
}

export function generateSongModule(data: MidiFileData, title: string, extras: ModuleExtras = {}): string {
  const project = new Project({ useInMemoryFileSystem: true, manipulationSettings: { quoteKind: QuoteKind.Single } });
  const file = project.createSourceFile('song.ts', '');
  const usesDrums = data.tracks.some((track) => track.drums);
  const usesSynth = data.tracks.some((track) => !track.drums);
  file.addImportDeclaration({
    moduleSpecifier: 'mixdown',
    namedImports: ['defineSong', ...(usesDrums ? ['drums'] : []), ...(usesSynth ? ['synth'] : [])],
  });
  file.insertText(0, `// ${extras.origin ?? 'Imported from a MIDI file by `mixdown import-midi`'}. Edit freely: it is an ordinary song module.\n`);
  const ids = trackIds(data.tracks);
  const meters = meterBars(data);
  const tempos = data.tempos.length ? data.tempos : [{ tick: 0, bpm: 120 }];
  file.addExportAssignment({
    isExportEquals: false,
    expression: (writer: CodeBlockWriter) => {
      writer.write('defineSong(').inlineBlock(() => {
        writer.writeLine(`title: ${quote(title)},`);
        if (tempos.length === 1) writer.writeLine(`tempo: ${round(tempos[0].bpm)},`);
        else {
          writer.write('tempo: [').newLine();
          writer.indent(() => tempos.forEach((tempo) => writer.writeLine(`{ at: { ticks: ${tempo.tick} }, bpm: ${round(tempo.bpm)}${extras.ramps?.has(tempo.tick) ? ", ramp: 'linear'" : ''} },`)));
          writer.writeLine('],');
        }
        if (meters.length === 1) writer.writeLine(`meter: [${meters[0].numerator}, ${meters[0].denominator}],`);
        else {
          writer.write('meter: [').newLine();
          writer.indent(() => meters.forEach((meter) => writer.writeLine(`{ bar: ${meter.bar}, meter: [${meter.numerator}, ${meter.denominator}] },`)));
          writer.writeLine('],');
        }
        if (extras.sections?.length) {
          writer.writeLine(`sections: { ${extras.sections.map((section) => `${key(section.name)}: ${section.bars}`).join(', ')} },`);
          writer.writeLine(`form: [${(extras.form ?? []).map(quote).join(', ')}],`);
        }
        writer.write('tracks: ').inlineBlock(() => {
          data.tracks.forEach((track, index) => {
            writer.write(`${key(ids[index])}: `).inlineBlock(() => {
              if (track.name && track.name !== ids[index]) writer.writeLine(`name: ${quote(track.name)},`);
              writer.writeLine(`instrument: ${track.drums ? 'drums()' : track.program >= 0 ? `synth({ program: ${track.program} })` : 'synth()'},`);
              for (const line of channelLines(extras.channels?.[index])) writer.writeLine(line);
              writer.write('notes: [').newLine();
              writer.indent(() => {
                for (const note of track.notes) {
                  const pitch = track.drums ? String(note.pitch) : `'${pitchName(note.pitch)}'`;
                  writer.writeLine(`{ pitch: ${pitch}, start: { ticks: ${note.startTick} }, length: { ticks: ${note.lengthTicks} }, velocity: ${note.velocity} },`);
                }
              });
              writer.writeLine('],');
            });
            writer.write(',').newLine();
          });
        });
        writer.write(',').newLine();
        if (extras.buses?.length) {
          writer.write('buses: ').inlineBlock(() => {
            for (const bus of extras.buses!) {
              const lines = [...(bus.name !== bus.id ? [`name: ${quote(bus.name)},`] : []), ...channelLines(bus.channel)];
              if (lines.length === 0) {
                writer.writeLine(`${key(bus.id)}: {},`);
                continue;
              }
              writer.write(`${key(bus.id)}: `).inlineBlock(() => lines.forEach((line) => writer.writeLine(line)));
              writer.write(',').newLine();
            }
          });
          writer.write(',').newLine();
        }
      });
      writer.write(')');
    },
  });
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  return file.getFullText();
}

/** Write songs/<id>/song.ts from a MIDI file; returns the path written (relative to root). */
export function importMidi(root: string, midiPath: string, options: ImportOptions = {}): string {
  const data = readMidi(readFileSync(midiPath));
  if (data.tracks.length === 0) throw new Error(`'${midiPath}' has no notes to import`);
  const id = options.name ?? (slug(basename(midiPath, extname(midiPath))) || 'imported');
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(id)) throw new Error(`'${id}' cannot name a song folder: use letters, digits, - and _`);
  const target = join(root, 'songs', id, 'song.ts');
  if (existsSync(target) && !options.force) throw new Error(`${relative(root, target)} exists; pass --force to replace it`);
  const title = data.name.trim() || basename(midiPath, extname(midiPath));
  writeFileAtomicSync(target, generateSongModule(data, title));
  return relative(root, target);
}
