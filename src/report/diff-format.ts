/**
 * `mixdown diff` printed: terminal text, or Markdown fit for a pull-request comment. Both
 * are functions of the DiffResult alone, so the same result always prints the same bytes.
 */
import type { DiffResult, DiffSide, SongDiff } from './diff.ts';
import type { DiffScalar, FieldChange, NoteChange, NoteGroup } from './diff-music.ts';
import type { Delta, SoundDiff } from './diff-sound.ts';

export interface DiffFormatOptions {
  /** List every changed note, not only each group's summary. @default false */
  readonly notes?: boolean;
}

const sideText = (side: DiffSide) => (side.commit ? `${side.label} (${side.commit.slice(0, 12)})` : side.label);

const scalar = (value: DiffScalar | undefined) => (value === null ? 'none' : String(value));

/** `path: a → b`, `path: added (b)`, `path: removed (a)`. */
export function fieldText(change: FieldChange, code = (text: string) => text): string {
  if (!('a' in change)) return `${code(change.path)}: added (${scalar(change.b)})`;
  if (!('b' in change)) return `${code(change.path)}: removed (${scalar(change.a)})`;
  return `${code(change.path)}: ${scalar(change.a)} → ${scalar(change.b)}`;
}

export function groupTitle(group: NoteGroup): string {
  return group.section === 'song' ? group.track : `${group.section}, ${group.track}`;
}

function noteText(change: NoteChange): string {
  const { a, b } = change;
  const kind = change.kind.padEnd(8);
  if (change.kind === 'added') return `${kind}${b!.pitch} at ${b!.start}, length ${b!.length}, velocity ${b!.velocity}`;
  if (change.kind === 'removed') return `${kind}${a!.pitch} at ${a!.start}, length ${a!.length}, velocity ${a!.velocity}`;
  if (change.kind === 'moved') return `${kind}${a!.pitch} ${a!.start} → ${b!.start} (${change.detail})`;
  return `${kind}${a!.pitch} at ${a!.start}: ${change.detail}`;
}

const signed = (value: number, digits: number) => `${value < 0 ? '-' : '+'}${Math.abs(value).toFixed(digits)}`;

function deltaText(delta: Delta, unit: string): string {
  const side = (value: number | null) => (value === null ? '-inf' : value.toFixed(2));
  return `${side(delta.a)} → ${side(delta.b)} ${unit}${delta.delta !== null ? ` (${signed(delta.delta, 2)})` : ''}`;
}

function rangesText(output: SoundDiff): string {
  const ranges = output.audio?.ranges ?? [];
  if (!ranges.length) return 'samples identical (header differs)';
  const shown = ranges.slice(0, 4).map((range) => `${range.start.toFixed(3)}–${range.end.toFixed(3)} s${range.from ? ` (${range.from}–${range.to})` : ''}`);
  return `${shown.join(', ')}${ranges.length > 4 ? ` and ${ranges.length - 4} more` : ''}`;
}

function bandsText(output: SoundDiff): string {
  const changed = (output.audio?.bands ?? []).filter((band) => band.delta !== null && band.delta !== 0);
  return changed.map((band) => `${band.hz >= 1000 ? `${band.hz / 1000}k` : band.hz} ${signed(band.delta!, 1)}`).join(', ');
}

/** The lines describing one changed output (after its path). */
export function soundLines(output: SoundDiff): string[] {
  if (output.status === 'added' || output.status === 'removed') return [output.status];
  if (!output.audio) return [`changed${output.note ? ` (${output.note})` : ''}`];
  const { audio } = output;
  const lines = [`differs ${rangesText(output)}`];
  if (audio.lengths.a !== audio.lengths.b) lines.push(`length ${audio.lengths.a} → ${audio.lengths.b} samples`);
  if (audio.largestDifferenceDb !== null) lines.push(`largest difference ${audio.largestDifferenceDb.toFixed(1)} dBFS`);
  lines.push(`integrated ${deltaText(audio.integrated, 'LUFS')}`, `short-term max ${deltaText(audio.shortTermMax, 'LUFS')}`);
  const bands = bandsText(output);
  if (bands) lines.push(`octave bands (dB re total) ${bands}`);
  return lines;
}

const songTitle = (song: SongDiff) => (song.variant ? `${song.song} (variant ${song.variant})` : song.song);

/** One line saying what kind of change a song has, e.g. `no musical change; all 7 outputs identical`. */
export function headline(song: SongDiff): string {
  if (song.status === 'added') return 'added (not in A)';
  if (song.status === 'removed') return 'removed (not in B)';
  const unchanged = song.sound.filter((output) => output.status === 'unchanged').length;
  const sound = unchanged === song.sound.length ? `all ${song.sound.length} outputs identical` : `${song.sound.length - unchanged} of ${song.sound.length} outputs differ`;
  const music = song.musicalChange === false ? 'no musical change' : song.musicalChange === null ? (song.arrangement.length || song.mix.length ? 'changed' : 'no change in report.json') : 'changed';
  return `${music}; ${sound}`;
}

export function formatDiffText(result: DiffResult, options: DiffFormatOptions = {}): string {
  const out = [`mixdown diff ${sideText(result.a)} → ${sideText(result.b)}`];
  if (!result.songs.length) out.push('', 'no songs to compare');
  for (const song of result.songs) {
    out.push('', `${songTitle(song)}: ${headline(song)}`);
    if (song.arrangement.length) out.push('  arrangement', ...song.arrangement.map((change) => `    ${fieldText(change)}`));
    if (song.notes.length) {
      out.push('  notes');
      for (const group of song.notes) {
        out.push(`    ${groupTitle(group)}: ${group.summary}`);
        if (options.notes) out.push(...group.notes.map((change) => `      ${noteText(change)}`));
      }
    }
    if (song.mix.length) out.push('  mix', ...song.mix.map((change) => `    ${fieldText(change)}`));
    const changed = song.sound.filter((output) => output.status !== 'unchanged');
    if (changed.length) {
      out.push('  sound');
      for (const output of changed) {
        const [first, ...rest] = soundLines(output);
        out.push(`    ${output.path}: ${first}`, ...rest.map((line) => `      ${line}`));
      }
      const same = song.sound.filter((output) => output.status === 'unchanged');
      if (same.length) out.push(`    unchanged: ${same.map((output) => output.path).join(', ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Markdown for a pull-request comment: a heading per song, lists for the music, a table for the sound. */
export function formatDiffMarkdown(result: DiffResult, options: DiffFormatOptions = {}): string {
  const code = (text: string) => `\`${text}\``;
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const out = [`## mixdown diff: ${code(sideText(result.a))} → ${code(sideText(result.b))}`];
  if (!result.songs.length) out.push('', 'No songs to compare.');
  for (const song of result.songs) {
    out.push('', `### ${songTitle(song)}`, '', `${headline(song).replace(/^./, (c) => c.toUpperCase())}.`);
    if (song.arrangement.length) out.push('', '**Arrangement**', '', ...song.arrangement.map((change) => `- ${fieldText(change)}`));
    if (song.notes.length) {
      out.push('', '**Notes**', '');
      for (const group of song.notes) {
        out.push(`- ${groupTitle(group)}: ${group.summary}`);
        if (options.notes) out.push(...group.notes.map((change) => `  - ${noteText(change).replace(/ {2,}/g, ' ')}`));
      }
    }
    if (song.mix.length) out.push('', '**Mix**', '', ...song.mix.map((change) => `- ${fieldText(change, code)}`));
    const changed = song.sound.filter((output) => output.status !== 'unchanged');
    if (changed.length) {
      out.push('', '**Sound**', '', '| output | differs | largest difference | integrated | short-term max | octave bands |', '|---|---|---|---|---|---|');
      for (const output of changed) {
        const audio = output.audio;
        const row = audio
          ? [rangesText(output), audio.largestDifferenceDb === null ? '' : `${audio.largestDifferenceDb.toFixed(1)} dBFS`, deltaText(audio.integrated, 'LUFS'), deltaText(audio.shortTermMax, 'LUFS'), bandsText(output)]
          : [soundLines(output)[0], '', '', '', ''];
        out.push(`| ${code(output.path)} | ${row.map(cell).join(' | ')} |`);
      }
      const same = song.sound.filter((output) => output.status === 'unchanged');
      if (same.length) out.push('', `Unchanged: ${same.map((output) => code(output.path)).join(', ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}
