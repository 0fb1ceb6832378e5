/**
 * Arrangement: sections laid out in form order, and each track's parts placed at every
 * occurrence of their section — looped when shorter, cut at the section's end.
 */
import type { NoteInput, PartInput, SongInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic, SourceLocation } from '../diagnostics/diagnostic.ts';
import { barToTick, lengthToTicks, TimeFormatError, type TempoClock } from '../theory/time.ts';
import type { MeterPoint, SectionIR } from '../ir/types.ts';

type Where = SourceLocation & { song: string; track?: string; frame?: string; path?: readonly (string | number)[] };

const SECTION_NAME = /^[A-Za-z][A-Za-z0-9 _-]*$/;

/** Sections in play order with their bars and ticks. Empty when the song declares none. */
export function layoutForm(song: SongInput, meterMap: readonly MeterPoint[], where: Where, problems: Diagnostic[]): SectionIR[] {
  const sections = song.sections ?? {};
  const names = Object.keys(sections);
  for (const name of names) {
    const bars = sections[name];
    if (!SECTION_NAME.test(name) || !Number.isInteger(bars) || bars < 1) problems.push(d.badSection(where, name, bars));
  }
  const form = song.form ?? names;
  const layout: SectionIR[] = [];
  const seen = new Map<string, number>();
  let bar = 0;
  for (const [index, name] of form.entries()) {
    if (!(name in sections)) {
      problems.push(d.unknownSection({ ...where, path: ['form', index] }, String(name), names));
      continue;
    }
    const occurrence = (seen.get(name) ?? 0) + 1;
    seen.set(name, occurrence);
    const bars = sections[name];
    layout.push({ name, occurrence, startBar: bar, bars, startTick: barToTick(meterMap, bar), endTick: barToTick(meterMap, bar + bars) });
    bar += bars;
  }
  return layout;
}

/** One note of a part, placed: its input plus where its section (and loop pass) starts. */
export interface PlacedNote {
  readonly input: NoteInput;
  /** Index in the part, for messages. */
  readonly index: number;
  /** Bar the note's bars:beats:ticks count from. */
  readonly originBar: number;
  /** Ticks added for the loop pass. */
  readonly offsetTicks: number;
  /** The section's end: notes are cut here. */
  readonly endTick: number;
  /** Which part, for messages: `chorus@2`. */
  readonly part: string;
}

/**
 * Every note of a track's parts, at every occurrence of their sections. The part for an
 * occurrence is `parts['chorus@2']` if given, else `parts.chorus`. `declared` are the song's section names.
 * `resolveStart` converts a note's start to absolute ticks (from its origin bar).
 */
export function placeParts(
  parts: Readonly<Record<string, PartInput>>,
  declared: readonly string[],
  layout: readonly SectionIR[],
  meterMap: readonly MeterPoint[],
  resolveStart: (note: NoteInput, originBar: number) => number | undefined,
  resolveEnd: (note: NoteInput, originBar: number, startTick: number) => number | undefined,
  where: Where,
  problems: Diagnostic[],
  clock?: TempoClock,
): PlacedNote[] {
  // A part may name any declared section, played in this form or not (a variant's form may skip it).
  for (const key of Object.keys(parts)) {
    const name = key.split('@')[0];
    if (!declared.includes(name)) problems.push(d.unknownSection({ ...where, ...(where.track ? { path: ['tracks', where.track, 'parts', key] } : {}) }, key, declared));
  }
  const placed: PlacedNote[] = [];
  for (const section of layout) {
    const key = `${section.name}@${section.occurrence}`;
    const part = parts[key] ?? parts[section.name];
    if (!part) continue;
    const partName = parts[key] ? key : section.name;
    const notes: readonly NoteInput[] = Array.isArray(part) ? part : ((part as { notes: readonly NoteInput[] }).notes ?? []);
    const length = partLength(part, notes, section, meterMap, resolveStart, resolveEnd, where, problems, clock);
    if (length === undefined) continue;
    const sectionTicks = section.endTick - section.startTick;
    for (let offset = 0; offset < sectionTicks; offset += length) {
      notes.forEach((input, index) => placed.push({ input, index, originBar: section.startBar, offsetTicks: offset, endTick: section.endTick, part: partName }));
    }
  }
  return placed;
}

/** A part's loop length: its `length`, or the whole bars (from the section start) its notes reach into. */
function partLength(
  part: PartInput,
  notes: readonly NoteInput[],
  section: SectionIR,
  meterMap: readonly MeterPoint[],
  resolveStart: (note: NoteInput, originBar: number) => number | undefined,
  resolveEnd: (note: NoteInput, originBar: number, startTick: number) => number | undefined,
  where: Where,
  problems: Diagnostic[],
  clock?: TempoClock,
): number | undefined {
  const explicit = Array.isArray(part) ? undefined : (part as { length?: NoteInput['length'] }).length;
  if (explicit !== undefined) {
    try {
      const length = lengthToTicks(explicit, meterMap, section.startTick, clock);
      if (length > 0) return length;
      problems.push(d.badNumber(where, `track '${where.track}' part '${section.name}' length`, explicit, 'greater than zero'));
    } catch (error) {
      if (!(error instanceof TimeFormatError)) throw error;
      problems.push(d.badTime(where, `track '${where.track}' part '${section.name}' length`, explicit, error.message));
    }
    return undefined;
  }
  let lastEnd = section.startTick;
  for (const note of notes) {
    const start = resolveStart(note, section.startBar);
    if (start === undefined) return undefined;
    const end = resolveEnd(note, section.startBar, start);
    if (end === undefined) return undefined;
    lastEnd = Math.max(lastEnd, end);
  }
  let bars = 1;
  while (barToTick(meterMap, section.startBar + bars) < lastEnd) bars++;
  return barToTick(meterMap, section.startBar + bars) - section.startTick;
}
