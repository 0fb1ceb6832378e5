/** The master stage's settings, resolved: presets expanded, defaults filled, ranges checked. */
import type { MasterInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic, SourceLocation } from '../diagnostics/diagnostic.ts';
import { glueDefaults, resolveMultiband, type EqBand } from '../ir/master-options.ts';
import type { MasterIR } from '../ir/types.ts';
import { useProjectFile } from '../registry/dependencies.ts';
import { projectFileDigest } from '../registry/file-store.ts';

/** Delivery presets: loudness target (LUFS) and true-peak ceiling (dBTP). */
export const LOUDNESS_PRESETS = {
  streaming: { target: -14, ceiling: -1 },
  apple: { target: -16, ceiling: -1 },
  broadcast: { target: -23, ceiling: -1 },
} as const;

type Where = SourceLocation & { song: string; frame?: string };

const inRange = (value: unknown, low: number, high: number): value is number => typeof value === 'number' && Number.isFinite(value) && value >= low && value <= high;

export function elaborateMaster(input: MasterInput | undefined, sampleRate: number, where: Where, problems: Diagnostic[]): MasterIR {
  const master = input ?? {};
  const check = (value: unknown, what: string, low: number, high: number, unit: string) => {
    if (!inRange(value, low, high)) problems.push(d.badNumber(where, `song '${where.song}' master ${what}`, value, `from ${low} to ${high}${unit}`));
  };
  const ceilingDb = master.ceiling ?? -1;
  check(ceilingDb, 'ceiling', -60, 0, ' dBFS');

  let loudness: MasterIR['loudness'] = null;
  if (master.loudness !== undefined) {
    const spec = typeof master.loudness === 'string' ? LOUDNESS_PRESETS[master.loudness] : master.loudness;
    if (!spec) problems.push(d.badNumber(where, `song '${where.song}' master loudness`, master.loudness, `as one of ${Object.keys(LOUDNESS_PRESETS).join(', ')} or { target, tolerance, ceiling }`));
    else {
      const tolerance = (typeof master.loudness === 'object' ? master.loudness.tolerance : undefined) ?? 0.5;
      loudness = { target: spec.target, tolerance, ceilingDb: spec.ceiling ?? -1 };
      check(loudness.target, 'loudness target', -60, 0, ' LUFS');
      check(loudness.tolerance, 'loudness tolerance', 0.05, 10, ' LU');
      check(loudness.ceilingDb, 'loudness ceiling', -20, 0, ' dBTP');
    }
  }
  let limiter: MasterIR['limiter'] = null;
  if (master.limiter !== undefined || loudness) {
    limiter = {
      ceilingDb: Math.min(master.limiter?.ceiling ?? 0, loudness?.ceilingDb ?? (master.limiter?.ceiling ?? -1)),
      release: master.limiter?.release ?? 0.05,
      lookahead: master.limiter?.lookahead ?? 0.0015,
    };
    check(limiter.ceilingDb, 'limiter ceiling', -20, 0, ' dBTP');
    check(limiter.release, 'limiter release', 0.001, 2, ' s');
    check(limiter.lookahead, 'limiter lookahead', 0.0001, 0.02, ' s');
  }
  const eq: EqBand[] = [...(master.eq ?? [])];
  eq.forEach((band, i) => {
    check(band?.frequency, `eq band ${i} frequency`, 10, sampleRate / 2, ' Hz');
    if (band && 'gain' in band) check(band.gain, `eq band ${i} gain`, -24, 24, ' dB');
    if (band?.type === 'bell') check(band.q ?? 1, `eq band ${i} q`, 0.1, 20, '');
    if ((band?.type === 'highPass' || band?.type === 'lowPass') && ![undefined, 12, 24, 36, 48].includes(band.slope)) {
      problems.push(d.badNumber(where, `song '${where.song}' master eq band ${i} slope`, band.slope, 'as 12, 24, 36 or 48 dB/oct'));
    }
  });
  const compressor = master.compressor ? { ...glueDefaults, ...master.compressor } : null;
  if (compressor) {
    check(compressor.threshold, 'compressor threshold', -60, 0, ' dBFS');
    check(compressor.ratio, 'compressor ratio', 1, 20, '');
    check(compressor.attack, 'compressor attack', 0.0001, 1, ' s');
    check(compressor.release, 'compressor release', 0.005, 5, ' s');
    check(compressor.knee, 'compressor knee', 0, 24, ' dB');
    check(compressor.makeup, 'compressor makeup', -24, 24, ' dB');
  }
  const multiband = master.multiband ? resolveMultiband(master.multiband) : null;
  if (multiband) {
    const [low, high] = multiband.crossovers;
    if (!(inRange(low, 20, 20000) && inRange(high, 20, sampleRate / 2) && low < high)) {
      problems.push(d.badNumber(where, `song '${where.song}' master multiband crossovers`, multiband.crossovers, 'as two rising frequencies between 20 Hz and half the sample rate'));
    }
  }
  const width = master.width ?? 1;
  check(width, 'width', 0, 3, '');
  let reference: MasterIR['reference'] = null;
  if (master.reference !== undefined) {
    try {
      // Recorded as a file the song depends on: editing the reference re-analyses the song.
      const absolute = useProjectFile(master.reference);
      if (!/\.wav$/i.test(absolute)) throw new Error('references are read as WAV files');
      reference = { path: master.reference, sha256: projectFileDigest(absolute) };
    } catch (error) {
      problems.push(d.badReference(where, master.reference, error instanceof Error ? error.message : String(error)));
    }
  }
  if (master.match !== undefined && master.match !== 'eq') problems.push(d.badNumber(where, `song '${where.song}' master match`, master.match, "as 'eq'"));
  if (master.match && !master.reference) problems.push(d.badReference(where, '(none)', 'match needs master.reference'));
  const formats = [...new Set(master.formats ?? [])].sort();
  for (const format of formats) if (format !== 'flac' && format !== 'mp3') problems.push(d.badNumber(where, `song '${where.song}' master format`, format, "as 'flac' or 'mp3'"));
  const mp3Bitrate = master.mp3Bitrate ?? 320;
  if (![128, 160, 192, 256, 320].includes(mp3Bitrate)) problems.push(d.badNumber(where, `song '${where.song}' master mp3Bitrate`, mp3Bitrate, 'as 128, 160, 192, 256 or 320 kbit/s'));
  return { ceilingDb, loudness, limiter, eq, compressor, multiband, width, dither: master.dither ?? true, reference, match: master.match ?? null, formats, mp3Bitrate };
}
