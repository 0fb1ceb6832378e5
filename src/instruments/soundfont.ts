/**
 * `soundfont`: plays a preset of a SoundFont 2 file (General MIDI banks such as FluidR3_GM)
 * through mixdown's own sample-voice engine. The preset's zones are resolved the SF2.04 way
 * (§9.4): instrument values are the instrument's global zone overridden by its local zone,
 * preset values the same at preset level, and the preset's values ADD to the instrument's;
 * key and velocity ranges intersect. Each resolved pair becomes one `SampleZone` and the
 * engine (`streamZones`) does the rest: zone selection, resampling, loops, envelopes.
 *
 * What is rendered: key/velocity ranges, root key (overridingRootKey or the sample's),
 * coarse/fine tune and the sample's pitch correction, scaleTuning (→ keyTrack), keynum
 * (fixed pitch), sample modes (0 none, 1 loop, 3 loop while held then play out), start /
 * end / loop offsets with their 32768-frame coarse parts, initialAttenuation, pan, the
 * volume envelope (delay, attack, hold, decay, sustain, release, and key-number scaling of
 * hold and decay) and exclusiveClass. Velocity sets the level as SF2's default
 * velocity→attenuation modulator does: (velocity/127)², i.e. 40·log10(velocity/127) dB.
 *
 * Not rendered (the shared engine has no per-voice filter or LFOs): initialFilterFc/Q, the
 * modulation envelope and LFOs, vibrato, chorus/reverb sends, modulators, the 24-bit sm24
 * extension (the 16-bit smpl data is used) and ROM samples.
 *
 * Stereo samples stored as hard-panned left/right zone pairs are merged into one voice over
 * a two-channel source (see `pairStereo`): the same output, half the voices.
 *
 * Parsing uses the `soundfont2` package for the records it reads right (INFO, phdr, pbag,
 * inst, ibag, shdr). Generators (pgen/igen) are read here, by position: soundfont2 0.5.0
 * drops the generator records it rejects (an unknown operator, or one illegal at that level,
 * such as sampleModes in a preset zone) from its list instead of skipping them in place, so
 * every later zone's bag index then points one record off and those zones read their
 * neighbours' generators. (FluidR3_GM happens to be safe: the only record dropped there is
 * pgen's terminal one.) Its `SoundFont2` constructor also copies every sample of the file
 * (3 s for FluidR3_GM); here only its record readers are used, on the pdta chunks.
 *
 * The file is never read whole: the RIFF chunk headers are read where they stand, then the
 * INFO name and the pdta records (a few hundred KB of a 148 MB bank); the smpl chunk is only
 * located. A sample is read (a positioned read of its frames) and converted when a note first
 * plays it, into the voice buffer every track on the bank then shares (once per thread).
 */
import { GEN } from '../io/sf2-generators.ts';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { PresetData, SampleHeader, SF2Chunk as Sf2ChunkClass } from 'soundfont2';
import { defineInstrument } from '../api/define-instrument.ts';
import { InstrumentFileError } from '../ir/plugin.ts';
import type { Decibels, Seconds } from '../theory/units.ts';
import { bytesFile, type RandomAccessFile } from '../io/file-pieces.ts';
import { streamZones, VoiceBuffers } from './sampler-engine.ts';
import type { SampleSource, SampleZone } from './zones.ts';

// The package's `module` entry is a browser UMD bundle that reads `window`; its CommonJS
// `main` is the Node build, so load that one explicitly.
const { SF2Chunk } = createRequire(import.meta.url)('soundfont2') as { SF2Chunk: typeof Sf2ChunkClass };

export interface SoundfontOptions {
  /** Project path of the .sf2 file. @default '' (must be set) */
  readonly file: string;
  /** Preset (program) number 0–127 within the bank. @default 0 */
  readonly program: number;
  /** Bank number: 0 for General MIDI melodic presets, 128 for percussion kits. @default 0 */
  readonly bank: number;
  /** Output gain in dB on top of the SoundFont's own levels. @default 0 */
  readonly gain: Decibels;
  /** Seconds of release left after the last note (SoundFont release times live in the file). @default 3 */
  readonly tail: Seconds;
  /** Sample reads: 'cubic' (4-point, fluidsynth's default quality) or 'sinc' (band-limited, slower). @default 'cubic' */
  readonly interpolation: 'cubic' | 'sinc';
}

export const soundfontDefaults: SoundfontOptions = {
  file: '',
  program: 0,
  bank: 0,
  gain: 0,
  tail: 3,
  interpolation: 'cubic',
};

/**
 * EMU8000 hardware (and fluidsynth, which GM banks like FluidR3 were voiced on) applies 0.4 of
 * the initialAttenuation generator: a zone marked 100 cB plays 4 dB down, not 10. Banks are
 * balanced by ear on those players, so the spec's literal 1 dB per 10 cB would make their
 * quieter zones far too quiet; this follows the players.
 */
export const ATTENUATION_FACTOR = 0.4;

/**
 * SF2 decay and release are linear in dB: a time T falls 100 dB (1000 cB), so −20 dB at
 * 0.2·T, −40 dB at 0.4·T. The engine's decay and release are (1 − t/T')³ curves that reach
 * silence at T'. With T' = T/2 the two agree at −40 dB and stay within 7 dB of each other
 * down to there; taking T' = T instead would hold a piano note (sustain 0, decay ≈ 16 s)
 * near full level for seconds after the sound fluidsynth makes has died away.
 */
export const CUBIC_TIME_FACTOR = 0.5;


/** Default values (SF2.04 §8.1.3) of the generators this player reads. */
const DEFAULTS: Readonly<Record<number, number>> = {
  [GEN.pan]: 0,
  [GEN.delayVolEnv]: -12000,
  [GEN.attackVolEnv]: -12000,
  [GEN.holdVolEnv]: -12000,
  [GEN.decayVolEnv]: -12000,
  [GEN.sustainVolEnv]: 0,
  [GEN.releaseVolEnv]: -12000,
  [GEN.keynumToVolEnvHold]: 0,
  [GEN.keynumToVolEnvDecay]: 0,
  [GEN.keynum]: -1,
  [GEN.initialAttenuation]: 0,
  [GEN.coarseTune]: 0,
  [GEN.fineTune]: 0,
  [GEN.sampleModes]: 0,
  [GEN.scaleTuning]: 100,
  [GEN.exclusiveClass]: 0,
  [GEN.overridingRootKey]: -1,
};

/**
 * Generators a preset zone may carry (§8.5: everything but sample addresses, keynum,
 * velocity, sampleModes, exclusiveClass and overridingRootKey); a player ignores the rest.
 * Index generators and ranges are handled separately.
 */
const PRESET_ILLEGAL = new Set<number>([0, 1, 2, 3, 4, 12, 45, 46, 47, 50, 54, 57, 58]);

/** A zone's generators by operator: signed 16-bit amounts (ranges as raw lo | hi << 8). */
type Generators = Map<number, number>;

interface ParsedZone {
  readonly generators: Generators;
  /** The instrument (preset zones) or sample (instrument zones) index; -1 for a global zone. */
  readonly target: number;
}

interface ParsedItem {
  readonly name: string;
  readonly global: Generators | null;
  readonly zones: readonly ParsedZone[];
}

export interface Sf2PresetInfo {
  readonly name: string;
  readonly bank: number;
  readonly program: number;
}

/** A parsed SoundFont: its records, and the voice buffers built from its samples so far (shared by every track). */
export interface Sf2Bank {
  readonly name: string;
  readonly presets: readonly (ParsedItem & Sf2PresetInfo)[];
  readonly instruments: readonly ParsedItem[];
  readonly samples: readonly SampleHeader[];
  /** The file, read where a sample is first played. */
  readonly file: RandomAccessFile;
  /** Where the smpl chunk's 16-bit little-endian frames start in the file, and how many it holds. */
  readonly smplOffset: number;
  readonly smplFrames: number;
  /**
   * The voice buffers built so far from this bank's samples (by source key — `sf2:<index>`, or
   * `sf2:<left>+<right>` for a stereo pair — and stretch), shared by every track that plays it.
   */
  readonly voiceBuffers: VoiceBuffers;
}

/**
 * A SoundFont whose bytes cannot be played: not SF2, or a file that lies about its sizes
 * (chunks past the end of the file, record counts that do not fit their chunks, sample
 * headers outside the sample data). `path` is set once the file's project path is known.
 */
export class Sf2FormatError extends Error {
  constructor(
    /** What is wrong, without the file's name. */
    readonly detail: string,
    /** The project path of the file. */
    readonly path?: string,
  ) {
    super(path === undefined ? detail : `SoundFont '${path}' cannot be used: ${detail}`);
    this.name = 'Sf2FormatError';
  }
}

/** The pdta sub-chunks in the order SF2.04 §7.2 fixes, with their record sizes. */
const PDTA: readonly (readonly [id: string, recordBytes: number])[] = [
  ['phdr', 38],
  ['pbag', 4],
  ['pmod', 10],
  ['pgen', 4],
  ['inst', 22],
  ['ibag', 4],
  ['imod', 10],
  ['igen', 4],
  ['shdr', 46],
];

/**
 * Check what soundfont2 does not before its records are read: the nine pdta chunks in order,
 * each a whole number of records, and every index a record holds into the next list (preset
 * → bag → generator/modulator, instrument → bag → …) in order and inside that list.
 */
function checkPdta(pdta: RawChunk): void {
  const chunks = pdta.subChunks;
  const ids = chunks.map((chunk) => chunk.id);
  if (chunks.length !== PDTA.length || PDTA.some(([id], i) => ids[i] !== id)) {
    throw new Sf2FormatError(`its pdta list holds ${ids.map((id) => `'${id}'`).join(', ') || 'nothing'}, not the nine chunks ${PDTA.map(([id]) => id).join(', ')} in that order`);
  }
  const counts = PDTA.map(([id, size], i) => {
    if (chunks[i].length % size) throw new Sf2FormatError(`its '${id}' chunk is ${chunks[i].length} bytes, not a whole number of ${size}-byte records`);
    return chunks[i].length / size;
  });
  const view = (i: number) => new DataView(chunks[i].buffer.buffer, chunks[i].buffer.byteOffset, chunks[i].length);
  // Each u16 index field, in record order: non-decreasing, at most the target's record count.
  const indices = (list: number, field: number, target: number) => {
    const [id, size] = PDTA[list];
    const data = view(list);
    let previous = 0;
    for (let record = 0; record < counts[list]; record++) {
      const index = data.getUint16(record * size + field, true);
      if (index < previous) throw new Sf2FormatError(`its '${id}' record ${record} points to ${PDTA[target][0]} record ${index}, before the previous record's ${previous}`);
      if (index > counts[target]) throw new Sf2FormatError(`its '${id}' record ${record} points to ${PDTA[target][0]} record ${index}, but that chunk holds ${counts[target]} records`);
      previous = index;
    }
  };
  indices(0, 24, 1); // phdr.wPresetBagNdx → pbag
  indices(1, 0, 3); // pbag.wGenNdx → pgen
  indices(1, 2, 2); // pbag.wModNdx → pmod
  indices(4, 20, 5); // inst.wInstBagNdx → ibag
  indices(5, 0, 7); // ibag.wInstGenNdx → igen
  indices(5, 2, 6); // ibag.wInstModNdx → imod
}

/**
 * Sample headers must address the smpl chunk: start ≤ end ≤ its frames, loop points inside
 * it and in order (ROM samples, type bit 15, address the synth's ROM and are not played).
 */
function checkSampleHeaders(headers: readonly SampleHeader[], smplFrames: number): void {
  headers.forEach((header, index) => {
    if (header.type & 0x8000) return;
    const name = `sample ${index} ('${header.name}')`;
    if (header.start > header.end) throw new Sf2FormatError(`${name} ends at frame ${header.end}, before its start ${header.start}`);
    if (header.end > smplFrames) throw new Sf2FormatError(`${name} ends at frame ${header.end}, past the ${smplFrames} frames of the smpl chunk`);
    if (header.startLoop > header.endLoop) throw new Sf2FormatError(`${name} has its loop end ${header.endLoop} before its loop start ${header.startLoop}`);
    if (header.endLoop > smplFrames) throw new Sf2FormatError(`${name} loops up to frame ${header.endLoop}, past the ${smplFrames} frames of the smpl chunk`);
  });
}

/** soundfont2's reads, with its errors (and any TypeError on records it did not expect) as ours. */
function readWith<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new Sf2FormatError(`its ${what} is malformed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Parse a SoundFont 2 file (or its bytes): chunk headers, the INFO name and the pdta records,
 * every size checked against its container and the file before it is read. Samples are read
 * and converted lazily, by `presetZones`' sources.
 */
export function parseSf2(source: Uint8Array | RandomAccessFile): Sf2Bank {
  const file = source instanceof Uint8Array ? bytesFile(source) : source;
  const [riff] = chunkHeaders(file, 0, Math.min(file.size, 8), 'the file', true);
  if (!riff || riff.id !== 'RIFF' || riff.listType !== 'sfbk') throw new Sf2FormatError('not a SoundFont 2 file (no RIFF sfbk header)');
  const [info, sdta, pdta] = chunkHeaders(file, riff.at + 12, riff.at + 8 + riff.length, "its 'RIFF sfbk' chunk");
  if (!info || !sdta || !pdta || info.listType !== 'INFO' || sdta.listType !== 'sdta' || pdta.listType !== 'pdta') {
    throw new Sf2FormatError('a SoundFont must hold LIST INFO, LIST sdta and LIST pdta, in that order');
  }
  // The INFO fields the player reads (the version and the name); pdta whole: it is all records.
  const infoChunks = listChunks(file, info).filter((chunk) => chunk.id === 'ifil' || chunk.id === 'INAM');
  const smpl = listChunks(file, sdta).find((chunk) => chunk.id === 'smpl');
  if (!smpl) throw new Sf2FormatError('it has no smpl chunk');
  const pdtaChunks = listChunks(file, pdta);
  const withBodies = (list: ChunkHeader, chunks: ChunkHeader[]): RawChunk => ({
    id: 'LIST',
    length: list.length,
    buffer: new Uint8Array(0),
    subChunks: chunks.map((chunk) => ({ id: chunk.id, length: chunk.length, buffer: file.read(chunk.at + 8, chunk.length), subChunks: [] })),
  });
  const pdtaList = withBodies(pdta, pdtaChunks);
  checkPdta(pdtaList);
  const meta = readWith('INFO list', () => new SF2Chunk(withBodies(info, infoChunks) as unknown as ConstructorParameters<typeof SF2Chunk>[0]).getMetaData());
  const data: PresetData = readWith('preset data', () => new SF2Chunk(pdtaList as unknown as ConstructorParameters<typeof SF2Chunk>[0]).getPresetData());
  const smplFrames = Math.floor(smpl.length / 2);
  checkSampleHeaders(data.sampleHeaders.slice(0, -1), smplFrames);
  const pgen = readGenerators(pdtaList.subChunks[3]);
  const igen = readGenerators(pdtaList.subChunks[7]);

  const instrumentZones = zonesOf(data.instrumentZones.map((bag) => bag.generatorIndex), igen, GEN.sampleID, new Set());
  const presetZones = zonesOf(data.presetZones.map((bag) => bag.generatorIndex), pgen, GEN.instrument, PRESET_ILLEGAL);
  // The last header of each list is the terminal record (EOI/EOP/EOS), which only marks an end.
  const instruments = data.instrumentHeaders.slice(0, -1).map((header, index, headers) => {
    const end = index + 1 < headers.length ? headers[index + 1].bagIndex : data.instrumentHeaders[headers.length].bagIndex;
    return item(header.name, instrumentZones, header.bagIndex, end);
  });
  const presets = data.presetHeaders.slice(0, -1).map((header, index, headers) => {
    const end = index + 1 < headers.length ? headers[index + 1].bagIndex : data.presetHeaders[headers.length].bagIndex;
    return { ...item(header.name, presetZones, header.bagIndex, end), bank: header.bank, program: header.preset };
  });
  return { name: meta.name, presets, instruments, samples: data.sampleHeaders.slice(0, -1), file, smplOffset: smpl.at + 8, smplFrames, voiceBuffers: new VoiceBuffers() };
}

/** The presets a bank holds, by bank then program. */
export function listPresets(bank: Sf2Bank): Sf2PresetInfo[] {
  return bank.presets.map(({ name, bank, program }) => ({ name, bank, program })).sort((a, b) => a.bank - b.bank || a.program - b.program);
}

/**
 * The zones of one preset as the engine's `SampleZone`s, with the samples they address (keyed
 * `sf2:<sample index>`), decoded when their `channels` are read. `gainDb` is added to every zone.
 */
export function presetZones(sf2: Sf2Bank, bank: number, program: number, gainDb = 0): { zones: SampleZone[]; sources: Map<string, SampleSource> } {
  const preset = sf2.presets.find((candidate) => candidate.bank === bank && candidate.program === program);
  if (!preset) {
    const near = listPresets(sf2).filter((candidate) => candidate.bank === bank).slice(0, 12).map((candidate) => `${candidate.program} ${candidate.name}`);
    throw new Error(`SoundFont '${sf2.name}' has no preset ${program} in bank ${bank}${near.length ? `; bank ${bank} holds ${near.join(', ')}${near.length === 12 ? ', …' : ''}` : ''}`);
  }
  const zones: SampleZone[] = [];
  const sources = new Map<string, SampleSource>();
  for (const presetZone of preset.zones) {
    const instrument = sf2.instruments[presetZone.target];
    if (!instrument) continue;
    const presetValues = overlay(preset.global, presetZone.generators);
    const made: MadeZones[] = [];
    for (const instrumentZone of instrument.zones) {
      const header = sf2.samples[instrumentZone.target];
      // ROM samples (type bit 15) live in the synth's ROM, not in this file.
      if (!header || header.type & 0x8000) continue;
      const values = overlay(instrument.global, instrumentZone.generators);
      const keys = intersect(rangeOf(values, GEN.keyRange), rangeOf(presetValues, GEN.keyRange));
      const velocities = intersect(rangeOf(values, GEN.velRange), rangeOf(presetValues, GEN.velRange));
      if (!keys || !velocities) continue;
      const list = zonesFor(instrumentZone.target, header, values, presetValues, keys, velocities, gainDb);
      if (list.length > 0) made.push({ sampleIndex: instrumentZone.target, header, zones: list, pairedWith: -1 });
    }
    pairStereo(made);
    for (const entry of made) {
      if (entry.pairedWith === -2) continue; // the right half of a pair, merged into its left
      if (entry.pairedWith >= 0) {
        const right = made[entry.pairedWith];
        const key = `sf2:${entry.sampleIndex}+${right.sampleIndex}`;
        for (const zone of entry.zones) zones.push({ ...zone, sample: key, pan: 0 });
        if (!sources.has(key)) sources.set(key, lazySource(sf2, [entry.header, right.header]));
      } else {
        zones.push(...entry.zones);
        const key = `sf2:${entry.sampleIndex}`;
        if (!sources.has(key)) sources.set(key, lazySource(sf2, [entry.header]));
      }
    }
  }
  return { zones, sources };
}

/** Seconds of a timecent value, clamped to the spec's range for that generator. */
function timecents(value: number, max: number): number {
  return Math.pow(2, Math.max(-12000, Math.min(max, value)) / 1200);
}

function zonesFor(
  sampleIndex: number,
  header: SampleHeader,
  instrument: Generators,
  preset: Generators,
  keys: readonly [number, number],
  velocities: readonly [number, number],
  gainDb: number,
): SampleZone[] {
  // Instrument values (or defaults) plus the preset's offsets; instrument-only generators
  // take no preset part (PRESET_ILLEGAL dropped them at parse time).
  const value = (operator: number): number => (instrument.get(operator) ?? DEFAULTS[operator] ?? 0) + (preset.get(operator) ?? 0);
  const own = (operator: number): number => instrument.get(operator) ?? DEFAULTS[operator] ?? 0;

  const length = (header.end - header.start) >>> 0;
  if (length < 2 || header.sampleRate <= 0) return [];
  const offset = (fine: number, coarse: number) => own(fine) + 32768 * own(coarse);
  const start = clamp(offset(GEN.startAddrsOffset, GEN.startAddrsCoarseOffset), 0, length - 1);
  const end = clamp(length + offset(GEN.endAddrsOffset, GEN.endAddrsCoarseOffset), start + 1, length);
  const loopStart = clamp(header.startLoop - header.start + offset(GEN.startloopAddrsOffset, GEN.startloopAddrsCoarseOffset), start, end);
  const loopEnd = clamp(header.endLoop - header.start + offset(GEN.endloopAddrsOffset, GEN.endloopAddrsCoarseOffset), start, end);
  const modes = own(GEN.sampleModes) & 3;
  // 1 loops always; 3 loops while held; 0 and the reserved 2 play straight through. A loop
  // shorter than 2 frames cannot be played (and usually marks an unlooped sample).
  const mode = loopEnd - loopStart < 2 ? 'none' : modes === 1 ? 'forward' : modes === 3 ? 'sustain' : 'none';

  // 255 marks an unpitched sample; 128–254 are illegal; both play at their recorded rate on 60.
  const headerRoot = header.originalPitch <= 127 ? header.originalPitch : 60;
  const overriding = own(GEN.overridingRootKey);
  const rootKey = overriding >= 0 && overriding <= 127 ? overriding : headerRoot;
  const scale = value(GEN.scaleTuning);
  let tune = value(GEN.coarseTune) * 100 + value(GEN.fineTune) + header.pitchCorrection;
  let keyTrack = scale;
  const keynum = own(GEN.keynum);
  if (keynum >= 0 && keynum <= 127) {
    // A forced key number: every key sounds as that key would.
    tune += scale * (keynum - rootKey);
    keyTrack = 0;
  }

  const sustainCb = clamp(value(GEN.sustainVolEnv), 0, 1440);
  const decayFull = timecents(value(GEN.decayVolEnv), 8000);
  const base = {
    sample: `sf2:${sampleIndex}`,
    velocityLow: velocities[0],
    velocityHigh: velocities[1],
    rootKey,
    tune,
    keyTrack,
    start,
    end,
    loop: { mode, start: loopStart, end: loopEnd },
    gainDb: gainDb - ATTENUATION_FACTOR * (clamp(value(GEN.initialAttenuation), 0, 1440) / 10),
    pan: clamp(value(GEN.pan), -500, 500) / 500,
    roundRobinGroup: 0,
    exclusiveClass: Math.max(0, own(GEN.exclusiveClass)),
  } as const;
  const envelope = (hold: number, decay: number) => ({
    delay: timecents(value(GEN.delayVolEnv), 5000),
    attack: timecents(value(GEN.attackVolEnv), 8000),
    hold: timecents(hold, 5000),
    // SF2's decay time is for a full 100 dB (1000 cB) fall; the fall to the sustain level
    // takes that share of it (and none at all when the sustain level is full level), then
    // CUBIC_TIME_FACTOR maps the dB-linear fall onto the engine's cubic one.
    decay: CUBIC_TIME_FACTOR * decay * Math.min(1, sustainCb / 1000),
    sustain: sustainCb >= 1000 ? 0 : Math.pow(10, -sustainCb / 200),
    release: CUBIC_TIME_FACTOR * timecents(value(GEN.releaseVolEnv), 8000),
  });
  const holdScale = value(GEN.keynumToVolEnvHold);
  const decayScale = value(GEN.keynumToVolEnvDecay);
  const hold = value(GEN.holdVolEnv);
  const decay = value(GEN.decayVolEnv);
  if (holdScale === 0 && decayScale === 0) {
    return [{ ...base, keyLow: keys[0], keyHigh: keys[1], envelope: envelope(hold, decayFull) }];
  }
  // Hold and decay that depend on the key (pianos: low notes ring longer) need a zone per
  // key, each with its own envelope: tc += scale × (60 − key) (§8.1.2, generators 39 and 40).
  const perKey: SampleZone[] = [];
  for (let key = keys[0]; key <= keys[1]; key++) {
    perKey.push({ ...base, keyLow: key, keyHigh: key, envelope: envelope(hold + holdScale * (60 - key), timecents(decay + decayScale * (60 - key), 8000)) });
  }
  return perKey;
}

/** The zones one instrument zone became, and (after pairStereo) its stereo partner. */
interface MadeZones {
  readonly sampleIndex: number;
  readonly header: SampleHeader;
  readonly zones: readonly SampleZone[];
  /** Index in the list of the right sample merged into this left one; -2 for that right one; -1 unpaired. */
  pairedWith: number;
}

/**
 * Stereo banks store a left and a right mono sample, played by two instrument zones panned
 * hard left and hard right. Where two such zones match in everything but the sample and the
 * pan (and their samples in rate and length), they become one zone over a two-channel
 * source: one voice instead of two, reading both channels with the same interpolation
 * weights (the engine's stereo path), and the same output: the left sample only on the left
 * at unity, the right only on the right. The samples' link fields are not needed for this
 * (and FluidR3_GM leaves them 0).
 */
function pairStereo(made: MadeZones[]): void {
  const signature = (zone: SampleZone) => JSON.stringify({ ...zone, sample: '', pan: 0 });
  const signatures = made.map((entry) => entry.zones.map(signature).join('|'));
  const hard = (entry: MadeZones, pan: number) => entry.zones.every((zone) => zone.pan === pan);
  made.forEach((left, leftIndex) => {
    if (left.pairedWith !== -1 || !hard(left, -1)) return;
    const rightIndex = made.findIndex(
      (right, index) =>
        right.pairedWith === -1 &&
        hard(right, 1) &&
        signatures[index] === signatures[leftIndex] &&
        right.header.sampleRate === left.header.sampleRate &&
        right.header.end - right.header.start === left.header.end - left.header.start,
    );
    if (rightIndex < 0) return;
    left.pairedWith = rightIndex;
    made[rightIndex].pairedWith = -2;
  });
}

/** Whether this machine stores 16-bit values little-endian, as SF2 does. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A sample's frames as stored (16-bit PCM at its own rate), read from the file. */
function readFrames(sf2: Sf2Bank, header: SampleHeader): Int16Array {
  const frames = Math.max(0, Math.min(header.end, sf2.smplFrames) - header.start);
  const bytes = sf2.file.read(sf2.smplOffset + header.start * 2, frames * 2);
  // The bytes read are a fresh array of their own: on a little-endian machine, the frames as they are.
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Int16Array(frames);
  for (let i = 0; i < frames; i++) data[i] = view.getInt16(i * 2, true);
  return data;
}

/**
 * A source whose frames are read from the smpl chunk when `pcm16` (or `channels`, as floats)
 * is read, each time: the engine reads it once per stretch it builds a voice buffer for (and
 * keeps the buffer, 16-bit like the file, in the bank's `voiceBuffers`), so a sample no note
 * reaches is never read and a played one is held once, as its voice buffer.
 */
function lazySource(sf2: Sf2Bank, headers: readonly SampleHeader[]): SampleSource {
  return {
    sampleRate: headers[0].sampleRate,
    get pcm16() {
      return headers.map((header) => readFrames(sf2, header));
    },
    get channels() {
      return headers.map((header) => Float32Array.from(readFrames(sf2, header), (value) => value / 32768));
    },
  };
}

interface RawChunk {
  readonly id: string;
  readonly length: number;
  /** The chunk's data (a list here holds only its sub-chunks, not its own data). */
  readonly buffer: Uint8Array;
  readonly subChunks: RawChunk[];
}

/** A chunk as found in the file: where its 8-byte header starts, and a list's type. */
interface ChunkHeader {
  readonly id: string;
  readonly at: number;
  readonly length: number;
  /** For RIFF and LIST chunks, the 4-character type that starts their data; '' otherwise. */
  readonly listType: string;
}

/**
 * The chunk headers of the file's bytes [from, to), read where they stand (8 bytes each, 12
 * for a list), without their data. Each size is checked against its container before anything
 * is read past the header: a size of 4 GB is a lie, not a request. `first`: only the first chunk.
 */
function chunkHeaders(file: RandomAccessFile, from: number, to: number, container: string, first = false): ChunkHeader[] {
  const chunks: ChunkHeader[] = [];
  for (let at = from; at + 8 <= to; ) {
    const header = file.read(at, 8);
    const id = String.fromCharCode(header[0], header[1], header[2], header[3]);
    const length = (header[4] | (header[5] << 8) | (header[6] << 16) | (header[7] << 24)) >>> 0;
    const dataEnd = at + 8 + length;
    if (dataEnd > (first ? file.size : to)) {
      throw new Sf2FormatError(`its '${id}' chunk at byte ${at} claims ${length} bytes, but ${container} has only ${(first ? file.size : to) - at - 8} after its header (${file.size} bytes in the file)`);
    }
    const isList = id === 'RIFF' || id === 'LIST';
    const type = isList && length >= 4 ? String.fromCharCode(...file.read(at + 8, 4)) : '';
    chunks.push({ id, at, length, listType: type });
    if (first) break;
    at = dataEnd + (length & 1); // chunks are word-aligned
  }
  return chunks;
}

/** The sub-chunk headers of a list chunk. */
function listChunks(file: RandomAccessFile, list: ChunkHeader): ChunkHeader[] {
  return chunkHeaders(file, list.at + 12, list.at + 8 + list.length, `its '${list.id} ${list.listType}' chunk`);
}

/** Every record of a pgen/igen chunk, by position (operator, signed amount). */
function readGenerators(chunk: RawChunk | undefined): { operators: Uint16Array; amounts: Int16Array } {
  if (!chunk || chunk.length % 4) throw new Sf2FormatError('its generator chunk is missing or not a whole number of records');
  const count = chunk.length / 4;
  const view = new DataView(chunk.buffer.buffer, chunk.buffer.byteOffset, chunk.length);
  const operators = new Uint16Array(count);
  const amounts = new Int16Array(count);
  for (let i = 0; i < count; i++) {
    operators[i] = view.getUint16(i * 4, true);
    amounts[i] = view.getInt16(i * 4 + 2, true);
  }
  return { operators, amounts };
}

/**
 * Zones from bag generator indices. A zone is its bag's generators up to the next bag's
 * first; a zone without the index generator (`instrument` or `sampleID`) as its last is
 * global when it is the item's first zone and ignored elsewhere (§7.3, §7.9); generators
 * after the index generator are ignored, as are `illegal` ones.
 */
function zonesOf(bagGenerators: readonly number[], generators: { operators: Uint16Array; amounts: Int16Array }, indexOperator: number, illegal: ReadonlySet<number>): ParsedZone[] {
  const zones: ParsedZone[] = [];
  for (let bag = 0; bag + 1 < bagGenerators.length; bag++) {
    const from = bagGenerators[bag];
    const to = Math.min(bagGenerators[bag + 1], generators.operators.length);
    const map: Generators = new Map();
    let target = -1;
    for (let i = from; i < to; i++) {
      const operator = generators.operators[i];
      if (operator === indexOperator) {
        target = generators.amounts[i] & 0xffff;
        break;
      }
      if (illegal.has(operator)) continue;
      map.set(operator, operator === GEN.keyRange || operator === GEN.velRange ? generators.amounts[i] & 0xffff : generators.amounts[i]);
    }
    zones.push({ generators: map, target });
  }
  return zones;
}

function item(name: string, zones: readonly ParsedZone[], from: number, to: number): ParsedItem {
  const own = zones.slice(from, Math.max(from, to));
  const global = own.length > 0 && own[0].target < 0 ? own[0].generators : null;
  return { name, global, zones: own.filter((zone) => zone.target >= 0) };
}

function overlay(global: Generators | null, local: Generators): Generators {
  if (!global) return local;
  const merged = new Map(global);
  for (const [operator, amount] of local) merged.set(operator, amount);
  return merged;
}

function rangeOf(generators: Generators, operator: number): readonly [number, number] {
  const raw = generators.get(operator);
  return raw === undefined ? [0, 127] : [raw & 0xff, (raw >> 8) & 0xff];
}

function intersect(a: readonly [number, number], b: readonly [number, number]): readonly [number, number] | null {
  const lo = Math.max(a[0], b[0]);
  const hi = Math.min(a[1], b[1], 127);
  return lo <= hi ? [lo, hi] : null;
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}

/**
 * Parsed banks by content hash (the digest of the file's bytes), so the eight tracks of a song
 * on one SoundFont parse it once per thread and share its voice buffers. Two at most: a bank
 * holds the voice buffers of every sample played from it.
 */
const parsedBanks = new Map<string, Sf2Bank>();
const bankByBytes = new WeakMap<Uint8Array, Sf2Bank>();
const CACHED_BANKS = 2;

/** A SoundFont to load: its bytes, or a file for positioned reads with its content hash (what a build's `openFile` gives). */
export type Sf2Source = Uint8Array | { readonly file: RandomAccessFile; readonly sha256: string };

/** The parsed bank of this file, from the per-thread cache when the same content was parsed before. */
export function loadSf2(source: Sf2Source): Sf2Bank {
  const bytes = source instanceof Uint8Array ? source : null;
  const known = bytes && bankByBytes.get(bytes);
  if (known) return known;
  const hash = bytes ? createHash('sha256').update(bytes).digest('hex') : (source as Exclude<Sf2Source, Uint8Array>).sha256;
  let bank = parsedBanks.get(hash);
  if (bank) parsedBanks.delete(hash); // re-inserted below as most recent
  else bank = parseSf2(bytes ?? (source as Exclude<Sf2Source, Uint8Array>).file);
  parsedBanks.set(hash, bank);
  while (parsedBanks.size > CACHED_BANKS) parsedBanks.delete(parsedBanks.keys().next().value!);
  if (bytes) bankByBytes.set(bytes, bank);
  return bank;
}

/** Let go of every parsed bank and the voice buffers it holds (a worker with no task in sight). */
export function forgetSoundfonts(): void {
  parsedBanks.clear();
}

/** `loadSf2`, with a damaged file's error naming its project path. */
export function loadNamedSf2(source: Sf2Source, path: string): Sf2Bank {
  try {
    return loadSf2(source);
  } catch (error) {
    // A bank that lies about its sizes is a bad file, not a bug: the engine reports it as such (MD236).
    if (error instanceof Sf2FormatError) throw new InstrumentFileError(path, `not a SoundFont it can use: ${error.detail}`);
    throw error;
  }
}

export const soundfont = defineInstrument<SoundfontOptions>({
  name: 'soundfont',
  version: '1',
  defaults: soundfontDefaults,
  channels: 2,
  tail: (options) => options.tail,
  midi: (options) => ({ program: options.program, drums: options.bank === 128 }),
  files: (options) => (options.file ? [{ path: options.file, as: 'bytes' }] : []),
  validate(options) {
    const problems: string[] = [];
    if (typeof options.file !== 'string' || options.file === '') problems.push("file must be the project path of a .sf2 file, e.g. 'sounds/FluidR3_GM.sf2'");
    if (!(Number.isInteger(options.program) && options.program >= 0 && options.program <= 127)) problems.push('program must be a whole number 0–127');
    if (!(Number.isInteger(options.bank) && options.bank >= 0 && options.bank <= 16383)) problems.push('bank must be a whole number 0–16383 (128 for percussion)');
    if (options.interpolation !== 'cubic' && options.interpolation !== 'sinc') problems.push("interpolation must be 'cubic' or 'sinc'");
    if (!Number.isFinite(options.gain)) problems.push('gain must be a number of dB');
    if (!(options.tail >= 0 && Number.isFinite(options.tail))) problems.push('tail must be a number of seconds ≥ 0');
    return problems;
  },
  stream({ sampleRate, options, notes, lengthSamples, seed, openFile }) {
    if (notes.length === 0) return { render() {} };
    // Opened, not read whole: only the records and the samples these notes play are read.
    const bank = loadNamedSf2(openFile(options.file), options.file);
    const { zones, sources } = presetZones(bank, options.bank, options.program, options.gain);
    // velocitySensitivity 1: the engine's (velocity/127)² gain is SF2's default
    // velocity→attenuation modulator (960 cB, concave: −400·log10(velocity/127) cB).
    return streamZones(zones, sources, notes, lengthSamples, sampleRate, seed, { roundRobin: 'cycle', velocitySensitivity: 1, interpolation: options.interpolation, buffers: bank.voiceBuffers });
  },
});
