/**
 * Writes the listening room: `dist/<song>/[<variant>/]room.json` and `index.html` for every
 * song and variant a build made, and `dist/index.html` listing every page in dist/. The data
 * come from report.json and from cached measurements of the built files (analysis.ts); the
 * pages are small and written only when their bytes change, so a no-op build writes nothing.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { CacheStore } from '../../cache/store.ts';
import { MixdownError, type Diagnostic } from '../../diagnostics/diagnostic.ts';
import { isOrphanTemp, writeFileAtomicSync } from '../../io/atomic.ts';
import type { SongIR } from '../../ir/types.ts';
import { OCTAVE_BANDS } from '../../master/reference.ts';
import { MASTER_ANALYSIS_KIND, underCeiling, type MasterAnalysisKey } from '../../master/analysis.ts';
import { sha256 } from '../../ir/hash.ts';
import { readDeclaredFile } from '../../render/declared-file.ts';
import { barToTick, TempoClock } from '../../theory/time.ts';
import type { SongReport } from '../report.ts';
import { analyseMaster, bucketCount, cachedMeasurement, cachedPreview, LOUDNESS_STEP, peaksOfObject, readAudio, type MasterAnalysis } from './analysis.ts';
import { renderIndexPage, renderSongPage } from './page.ts';
import { ROOM_FORMAT, type RoomData, type RoomIndexEntry, type RoomLane, type RoomPeaks } from './types.ts';

/** A stem's file in the song's folder: `.wav` (float or 24-bit) or `.flac`, as the song's stem format made it. */
function stemFileOf(report: SongReport, folder: string, id: string): string {
  return report.outputs.find((output) => output.path === `${folder}/${id}.flac`)?.path ?? `${folder}/${id}.wav`;
}

/** One song or variant a build just made. */
export interface BuiltPage {
  readonly song: SongIR;
  readonly report: SongReport;
  /** Its output folder, dist/<song>/[<variant>/]. */
  readonly dir: string;
}

export interface RoomContext {
  readonly cache: CacheStore;
  /** The project root (the reference track is read from it). */
  readonly root: string;
  /** The output folder, dist/. */
  readonly outDir: string;
}

/** The file name of the reference track's 16-bit copy beside a page. */
const REFERENCE_AUDIO = 'reference-16.wav';

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Measure and write the pages of one song's freshly built variants, then refresh the variant
 * list of every page of that song in dist/ (a variant built today appears on yesterday's pages).
 * Returns the errors of pages that could not be made (as warnings: the build's outputs stand).
 */
export async function writeSongRooms(pages: readonly BuiltPage[], context: RoomContext): Promise<Diagnostic[]> {
  if (pages.length === 0) return [];
  const fresh = new Map<string, RoomData>();
  const problems: Diagnostic[] = [];
  for (const page of pages) {
    try {
      fresh.set(page.dir, await roomData(page, context));
    } catch (error) {
      // A page that cannot be made (its reference track changed meanwhile) keeps its last version.
      if (!(error instanceof MixdownError)) throw error;
      problems.push(...error.diagnostics);
    }
  }
  const songDir = join(context.outDir, pages[0].song.id);
  const all = songRooms(songDir, fresh);
  for (const { dir, data } of all) {
    const variants = all.map((other) => {
      const href = relative(dir, other.dir).split(sep).join('/');
      const prefix = href === '' ? '' : `${href}/`;
      return { name: other.data.variant, href: prefix || './', audio: `${prefix}${other.data.master.audio}` };
    });
    const full: RoomData = { ...data, variants };
    writeIfChanged(join(dir, 'room.json'), `${JSON.stringify(full)}\n`);
    writeIfChanged(join(dir, 'index.html'), await renderSongPage(full));
  }
  return problems;
}

/** dist/index.html: every song and variant with a page in dist/. */
export async function writeRoomIndex(outDir: string): Promise<void> {
  if (!existsSync(outDir)) return;
  const entries: RoomIndexEntry[] = [];
  for (const name of readdirSync(outDir).sort()) {
    const songDir = join(outDir, name);
    if (!statSync(songDir).isDirectory()) continue;
    for (const { dir, data } of songRooms(songDir)) {
      entries.push({
        song: data.song,
        variant: data.variant,
        title: data.title,
        href: `${relative(outDir, dir).split(sep).join('/')}/index.html`,
        durationSeconds: data.durationSeconds,
        integrated: data.numbers.integrated,
        truePeakDb: data.numbers.truePeakDb,
        target: data.numbers.target?.integrated ?? null,
        meetsTarget: data.numbers.meetsTarget,
      });
    }
  }
  writeIfChanged(join(outDir, 'index.html'), await renderIndexPage(entries));
  // A killed build's half-written index (song folders are swept when their songs are emitted).
  for (const name of readdirSync(outDir)) if (name.startsWith('index.html.') && isOrphanTemp(name)) rmSync(join(outDir, name), { force: true });
}

/** The pages of one song folder, the song as written first, then its variants by name; `fresh` (by folder) replaces what is on disk. */
function songRooms(songDir: string, fresh: ReadonlyMap<string, RoomData> = new Map()): { dir: string; data: RoomData }[] {
  const found: { dir: string; data: RoomData }[] = [];
  const read = (dir: string) => {
    const data = fresh.get(dir) ?? readRoom(dir);
    if (data) found.push({ dir, data });
  };
  read(songDir);
  if (existsSync(songDir)) for (const name of readdirSync(songDir).sort()) if (statSync(join(songDir, name)).isDirectory()) read(join(songDir, name));
  return found;
}

function readRoom(dir: string): RoomData | undefined {
  try {
    const data = JSON.parse(readFileSync(join(dir, 'room.json'), 'utf8')) as RoomData;
    return data.format === ROOM_FORMAT ? data : undefined;
  } catch {
    return undefined; // no page here (a stems folder, or a variant that never built)
  }
}

async function roomData(page: BuiltPage, context: RoomContext): Promise<RoomData> {
  const { song, report, dir } = page;
  const { cache } = context;
  const buckets = bucketCount(song.lengthSamples, song.sampleRate);
  const digestOf = (path: string) => report.outputs.find((output) => output.path === path)?.sha256;
  const peaksOf = (digest: string): Promise<RoomPeaks> =>
    cachedMeasurement(cache, 'room-peaks', { digest, buckets }, () => peaksOfObject(cache, digest, buckets));

  // Tracks, then buses, in the song's order (the plan's order follows routing).
  const channels = [
    ...report.tracks.map((track) => ({ id: track.id, kind: 'track' as const, output: track.output, path: stemFileOf(report, 'stems', track.id) })),
    ...report.buses.map((bus) => ({ id: bus.id, kind: 'bus' as const, output: bus.output, path: stemFileOf(report, 'buses', bus.id) })),
  ];
  const lanes: RoomLane[] = [];
  for (const channel of channels) {
    const output = report.outputs.find((candidate) => candidate.path === channel.path);
    if (!output) continue;
    lanes.push({ id: channel.id, kind: channel.kind, output: channel.output, audio: output.path, peaks: await peaksOf(output.sha256), peakDb: output.peakDb });
  }

  const { master } = report;
  const ceilingDb = master.target?.ceilingDb ?? 0;
  const masterDigest = digestOf('master.wav')!;
  const bands = master.reference === null;
  // The master task measured master.wav as it wrote it; a master from an older cache is decoded here.
  const key: MasterAnalysisKey = { digest: masterDigest, buckets, ceilingDb, bands };
  const analysed = await cachedMeasurement<MasterAnalysis>(cache, MASTER_ANALYSIS_KIND, { ...key }, () => {
    const audio = readAudio(cache, masterDigest);
    return analyseMaster(audio.channels, audio.sampleRate, buckets, ceilingDb, bands, underCeiling(master.truePeakDb, ceilingDb));
  });

  let reference: RoomData['reference'] = null;
  if (song.master.reference && master.reference) {
    const where = { file: song.file, song: song.id };
    const source = song.master.reference;
    const digest = await cachedPreview(cache, source.sha256, () => readDeclaredFile(context.root, source, where));
    placeObject(cache, digest, join(dir, REFERENCE_AUDIO));
    const matchDb = master.integrated !== null && master.reference.integrated !== null ? round2(master.integrated - master.reference.integrated) : 0;
    reference = { file: master.reference.file, audio: REFERENCE_AUDIO, integrated: master.reference.integrated, matchDb };
  }

  const clock = new TempoClock(song.tempoMap);
  const bars: { bar: number; seconds: number }[] = [];
  for (let bar = 0; ; bar++) {
    const tick = barToTick(song.meterMap, bar);
    if (tick > song.lengthTicks) break;
    bars.push({ bar: bar + 1, seconds: Math.round(clock.seconds(tick) * 1e4) / 1e4 });
  }

  return {
    format: ROOM_FORMAT,
    song: song.id,
    variant: song.variant,
    title: song.title,
    sampleRate: song.sampleRate,
    durationSeconds: report.durationSeconds,
    lengthSamples: song.lengthSamples,
    variants: [],
    master: { audio: digestOf('master-16.wav') ? 'master-16.wav' : 'master.wav', peaks: analysed.peaks },
    lanes,
    markers: report.markers.map(({ name, bar, seconds }) => ({ name, bar, seconds })),
    bars,
    loudness: {
      step: LOUDNESS_STEP,
      momentary: analysed.momentary,
      shortTerm: analysed.shortTerm,
      integrated: master.integrated,
      target: master.target,
      ceilingDb,
      overs: analysed.overs,
    },
    spectrum: {
      hz: [...OCTAVE_BANDS],
      master: master.reference ? master.reference.bands.map((band) => band.master) : analysed.bands,
      reference: master.reference ? master.reference.bands.map((band) => band.reference) : null,
    },
    reference,
    numbers: {
      integrated: master.integrated,
      range: master.range,
      truePeakDb: master.truePeakDb,
      plr: master.truePeakDb !== null && master.integrated !== null ? round2(master.truePeakDb - master.integrated) : null,
      momentaryMax: master.momentaryMax,
      shortTermMax: master.shortTermMax,
      peakDb: master.peakDb,
      meetsTarget: master.meetsTarget,
      target: master.target,
    },
  };
}

/** Put a cache object at `target` unless the same bytes are already there. */
function placeObject(cache: CacheStore, digest: string, target: string): void {
  try {
    if (sha256(readFileSync(target)) === digest) return;
  } catch {
    // Not there yet.
  }
  if (!cache.copyObjectTo(digest, target)) throw new Error(`room: cache object ${digest} for ${target} is missing`);
}

/** Write a text file atomically, and only when its content differs. */
function writeIfChanged(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) return;
  } catch {
    // Not there yet.
  }
  writeFileAtomicSync(path, text);
}
