/**
 * analyse: a song file → the SongIR of the song as written and of each of its variants.
 * Uses the analysis cache when the song's module graph is unchanged; otherwise executes
 * the song (the only user code mixdown runs) and elaborates every variant.
 */
import type { SongInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { locateKey } from '../elaborate/locate.ts';
import type { SongIR } from '../ir/types.ts';
import type { SongLoader } from '../load/loader.ts';
import type { SongIrCache } from '../load/song-cache.ts';

/** Name used for the song as written when selecting variants. */
export const DEFAULT_VARIANT = 'default';
const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export type AnalyseResult = { ok: true; songs: SongIR[] } | { ok: false; diagnostics: Diagnostic[] };

export async function analyseSong(
  id: string,
  path: string,
  getLoader: () => Promise<SongLoader>,
  cache?: SongIrCache,
  /** Variants needed (`default` for the song as written); a cache hit reads only these. */
  wanted?: readonly string[],
): Promise<AnalyseResult> {
  const cached = cache?.lookup(id, wanted);
  if (cached) return { ok: true, songs: cached };
  // Elaborating (and the theory library it uses) loads only when a song must be executed:
  // a no-op build stays light.
  const [{ elaborate }, { beginLoad, recordedFiles }] = await Promise.all([import('../elaborate/elaborate.ts'), import('../registry/dependencies.ts')]);
  const loader = await getLoader();
  beginLoad(loader.root);
  const loaded = await loader.load(id, path);
  if (!loaded.ok) return { ok: false, diagnostics: [loaded.diagnostic] };
  const origin = { id, file: loaded.file, text: loaded.source, pluginCode: loaded.pluginCode };
  // Semantic errors that know the value they are about get the location of the syntax that wrote it.
  const located = async (list: Diagnostic[]) => (await import('../elaborate/source-path.ts')).refineLocations(list, loaded.file, loaded.source);
  // Only what was asked for is elaborated (every variant of a song with eight takes costs).
  const isWanted = (name: string) => !wanted?.length || wanted.includes(name);
  const songs: SongIR[] = [];
  if (isWanted(DEFAULT_VARIANT)) {
    const base = elaborate(loaded.input, origin);
    if (!base.ok) return { ok: false, diagnostics: await located(base.diagnostics) };
    songs.push(base.song);
  }
  const problems: Diagnostic[] = [];
  const variants = loaded.input.variants ?? {};
  const names = [DEFAULT_VARIANT, ...Object.keys(variants)];
  for (const [name, makeVariant] of Object.entries(variants)) {
    const where = { ...locateKey(origin, name, 'variants'), song: id };
    if (!VARIANT_NAME.test(name) || name === 'stems' || name === DEFAULT_VARIANT) {
      problems.push(d.badVariantName(where, name));
      continue;
    }
    if (!isWanted(name)) continue;
    let input: SongInput;
    try {
      // A variant gets its own deep copy: a function that mutates its argument cannot
      // change the song or the other variants.
      input = makeVariant(cloneSong(loaded.input));
    } catch (error) {
      problems.push(d.variantThrew(where, name, error instanceof Error ? error.message : String(error)));
      continue;
    }
    const result = elaborate(input, { ...origin, variant: name });
    if (result.ok) songs.push(result.song);
    else problems.push(...result.diagnostics.map((diagnostic) => ({ ...diagnostic, message: `variant '${name}': ${diagnostic.message}` })));
  }
  if (problems.length) return { ok: false, diagnostics: await located(problems) };
  // Files the song (or a variant) read at load time, e.g. MIDI clips, count like its modules.
  cache?.store(id, [...loaded.files, ...recordedFiles()], songs, names);
  // What running and elaborating it left behind goes now, not whenever this thread next allocates.
  (await import('../load/collect.ts')).collectGarbage();
  return { ok: true, songs };
}

/** structuredClone cannot copy functions (variants); copy the rest and keep those by reference. */
function cloneSong(song: SongInput): SongInput {
  const { variants, ...rest } = song;
  return { ...structuredClone(rest), ...(variants ? { variants } : {}) } as SongInput;
}
