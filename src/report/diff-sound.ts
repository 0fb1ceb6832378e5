/**
 * The audible half of `mixdown diff`: two renders of one output (a stem, a bus, the mix,
 * the master) compared. Same digest: unchanged, nothing decoded. Otherwise, for WAV files:
 * the time ranges that differ (to the block), the largest sample difference in dB, the
 * loudness change (integrated and short-term maximum, measured and rounded as
 * `mixdown analyze` does) and the change of the octave-band balance.
 */
import { readAudioFileSync } from '../io/audio-file.ts';
import { measureLoudness } from '../master/loudness.ts';
import { OCTAVE_BANDS, octaveBalance } from '../master/reference.ts';

/**
 * Samples per comparison block: differing ranges are reported to this resolution
 * (21.3 ms at 48 kHz; adjacent differing blocks merge into one range).
 */
export const DIFF_BLOCK = 1024;

/** Outputs compared sample by sample: stems, buses, the mix and the master (not the dithered copy, MIDI or encoded formats). */
const SAMPLE_COMPARED = /^(stems\/.+|buses\/.+|mix|master)\.wav$/;

/** A side of an output: its digest and size (absent when the output does not exist there). */
export interface OutputSide {
  readonly sha256: string;
  readonly bytes: number;
}

export interface DifferingRange {
  /** First sample of the first differing block. */
  readonly startSample: number;
  /** One past the last sample of the last differing block (clipped to the longer file). */
  readonly endSample: number;
  /** The same in seconds (3 decimals). */
  readonly start: number;
  readonly end: number;
  /** Song positions (`bars:beats:ticks`) of the start and end, when the song's tempo map is known. */
  readonly from?: string;
  readonly to?: string;
}

/** A figure on both sides and its change (B − A), each rounded to 0.01 as `mixdown analyze` rounds; null for silence. */
export interface Delta {
  readonly a: number | null;
  readonly b: number | null;
  readonly delta: number | null;
}

export interface SoundDiff {
  /** Output path inside the song's folder (`stems/bass.wav`, `master.wav`). */
  readonly path: string;
  readonly status: 'unchanged' | 'changed' | 'added' | 'removed';
  readonly a: OutputSide | null;
  readonly b: OutputSide | null;
  /** Only for a changed WAV whose both renders could be read. */
  readonly audio?: {
    readonly sampleRate: number;
    readonly lengths: { readonly a: number; readonly b: number };
    readonly ranges: readonly DifferingRange[];
    /** Largest absolute sample difference, dBFS (null when the samples are equal and only the header differs). */
    readonly largestDifferenceDb: number | null;
    readonly integrated: Delta;
    readonly shortTermMax: Delta;
    /** Octave-band balance (each band relative to the file's total, dB, as the reference comparison measures it): change per band. */
    readonly bands: readonly { readonly hz: number; readonly a: number | null; readonly b: number | null; readonly delta: number | null }[];
  };
  /** Why a changed output was not compared sample by sample (not a WAV, or a render not at hand). */
  readonly note?: string;
}

const round2 = (value: number) => (Number.isFinite(value) ? Math.round(value * 100) / 100 : null);

function delta(a: number, b: number): Delta {
  const ra = round2(a);
  const rb = round2(b);
  return { a: ra, b: rb, delta: ra !== null && rb !== null ? Math.round((rb - ra) * 100) / 100 : null };
}

/**
 * Compare one output's two sides. `read` returns a side's bytes, or undefined when they
 * are not at hand (a lock file's output no longer in the cache).
 */
export function diffOutput(
  path: string,
  a: OutputSide | null,
  b: OutputSide | null,
  read: (side: 'a' | 'b', output: OutputSide) => Uint8Array | undefined,
  position?: (sample: number) => string,
): SoundDiff {
  if (!a || !b) return { path, status: a ? 'removed' : 'added', a, b };
  if (a.sha256 === b.sha256) return { path, status: 'unchanged', a, b };
  if (!SAMPLE_COMPARED.test(path)) return { path, status: 'changed', a, b, note: 'compared by digest only' };
  const bytesA = read('a', a);
  const bytesB = read('b', b);
  if (!bytesA || !bytesB) return { path, status: 'changed', a, b, note: 'a render is no longer in the cache to compare sample by sample' };
  let audio: SoundDiff['audio'];
  try {
    audio = compareAudio(readAudioFileSync(bytesA, `${path} (A)`), readAudioFileSync(bytesB, `${path} (B)`), position);
  } catch (error) {
    return { path, status: 'changed', a, b, note: `cannot be decoded: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { path, status: 'changed', a, b, audio };
}

interface Audio {
  readonly sampleRate: number;
  readonly channels: readonly Float32Array[];
}

function compareAudio(a: Audio, b: Audio, position?: (sample: number) => string): NonNullable<SoundDiff['audio']> {
  const lengthA = a.channels[0]?.length ?? 0;
  const lengthB = b.channels[0]?.length ?? 0;
  const length = Math.max(lengthA, lengthB);
  const channels = Math.max(a.channels.length, b.channels.length);
  const ranges: DifferingRange[] = [];
  let largest = 0;
  let open: { start: number; end: number } | undefined;
  const close = () => {
    if (!open) return;
    const seconds = (sample: number) => Math.round((sample / b.sampleRate) * 1000) / 1000;
    ranges.push({
      startSample: open.start,
      endSample: open.end,
      start: seconds(open.start),
      end: seconds(open.end),
      ...(position ? { from: position(open.start), to: position(open.end) } : {}),
    });
    open = undefined;
  };
  for (let block = 0; block < length; block += DIFF_BLOCK) {
    const end = Math.min(length, block + DIFF_BLOCK);
    let differs = false;
    for (let c = 0; c < channels; c++) {
      // A channel or samples one side lacks count as silence there.
      const x = a.channels[c];
      const y = b.channels[c];
      for (let i = block; i < end; i++) {
        const difference = Math.abs((x?.[i] ?? 0) - (y?.[i] ?? 0));
        if (difference > 0) {
          differs = true;
          if (difference > largest) largest = difference;
        }
      }
    }
    if (differs) {
      if (open && open.end === block) open.end = end;
      else {
        close();
        open = { start: block, end };
      }
    }
  }
  close();
  const loudA = measureLoudness(a.channels, a.sampleRate, { truePeak: false });
  const loudB = measureLoudness(b.channels, b.sampleRate, { truePeak: false });
  const bandsA = octaveBalance(a.channels, a.sampleRate);
  const bandsB = octaveBalance(b.channels, b.sampleRate);
  const band = (level: number) => (level <= -120 ? null : Math.round(level * 10) / 10);
  return {
    sampleRate: b.sampleRate,
    lengths: { a: lengthA, b: lengthB },
    ranges,
    largestDifferenceDb: largest > 0 ? Math.round(20 * Math.log10(largest) * 10) / 10 : null,
    integrated: delta(loudA.integrated, loudB.integrated),
    shortTermMax: delta(loudA.shortTermMax, loudB.shortTermMax),
    bands: OCTAVE_BANDS.map((hz, i) => {
      const x = band(bandsA[i]);
      const y = band(bandsB[i]);
      return { hz, a: x, b: y, delta: x !== null && y !== null ? Math.round((y - x) * 10) / 10 : null };
    }),
  };
}
