/**
 * A small SoundFont 2.04 writer, for tests and fixtures: mono 16-bit samples, one instrument
 * per preset, and the generators mixdown's SoundFont player reads. The layout follows the
 * spec exactly (RIFF `sfbk` with INFO, sdta and pdta lists; every pdta sub-chunk ends with
 * its terminal record), so fluidsynth and other players load the files as well.
 *
 * Each preset becomes one instrument of the same name. The instrument's zones come from
 * `zones`, its global zone from `global`; the preset has one zone pointing at the
 * instrument, carrying `presetGenerators` (which a player ADDS to the instrument's values)
 * and `presetKeyRange` (intersected with the zones' ranges).
 */
import { concatBytes } from './bytes.ts';
import { GEN } from './sf2-generators.ts';

export { GEN };

/** A sample to store: mono float data −1…1, converted to 16-bit PCM. */
export interface Sf2SampleInput {
  readonly name: string;
  readonly data: Float32Array;
  readonly sampleRate: number;
  /** MIDI key of the recorded pitch (the sample header's originalPitch). */
  readonly rootKey: number;
  /** Pitch correction in cents stored in the sample header. @default 0 */
  readonly pitchCorrection?: number;
  /** Loop start frame and loop end frame (exclusive: the first frame after the loop), within the sample. */
  readonly loopStart: number;
  readonly loopEnd: number;
}

/** Generator values of a zone, in SoundFont units. Absent values are not written. */
export interface Sf2Generators {
  /** Sample offsets in frames (written as fine + 32768-frame coarse generators). */
  readonly startOffset?: number;
  readonly endOffset?: number;
  readonly loopStartOffset?: number;
  readonly loopEndOffset?: number;
  readonly pan?: number;
  readonly delayTimecents?: number;
  readonly attackTimecents?: number;
  readonly holdTimecents?: number;
  readonly decayTimecents?: number;
  /** Sustain as centibels of attenuation (0 = full level). */
  readonly sustainCentibels?: number;
  readonly releaseTimecents?: number;
  readonly keynumToHold?: number;
  readonly keynumToDecay?: number;
  readonly attenuation?: number;
  readonly coarseTune?: number;
  readonly fineTune?: number;
  /** 0 no loop, 1 loop continuously, 3 loop while held then play out. */
  readonly sampleModes?: 0 | 1 | 3;
  readonly scaleTuning?: number;
  readonly exclusiveClass?: number;
  readonly rootKey?: number;
}

export interface Sf2ZoneInput extends Sf2Generators {
  /** Name of a sample in `samples`. */
  readonly sample: string;
  readonly keyRange: readonly [number, number];
  readonly velRange?: readonly [number, number];
}

export interface Sf2PresetInput {
  readonly name: string;
  readonly bank: number;
  readonly program: number;
  readonly zones: readonly Sf2ZoneInput[];
  /** The instrument's global zone: values every zone inherits unless it sets its own. */
  readonly global?: Sf2Generators;
  /** Preset-level generators, added to the instrument's. Only the relative ones are legal here. */
  readonly presetGenerators?: Pick<Sf2Generators, 'pan' | 'attenuation' | 'coarseTune' | 'fineTune' | 'attackTimecents' | 'releaseTimecents' | 'decayTimecents' | 'holdTimecents' | 'delayTimecents' | 'sustainCentibels' | 'scaleTuning'>;
  readonly presetKeyRange?: readonly [number, number];
}

export interface Sf2Input {
  /** INAM: the bank's name. @default 'mixdown test bank' */
  readonly name?: string;
  readonly samples: readonly Sf2SampleInput[];
  readonly presets: readonly Sf2PresetInput[];
}


/** The 46 zero frames the spec requires after every sample (room for interpolation). */
const SAMPLE_PADDING = 46;

type Gen = readonly [operator: number, amount: number];

export function writeSf2(input: Sf2Input): Uint8Array {
  const sampleIndex = new Map<string, number>();
  input.samples.forEach((sample, index) => {
    if (sampleIndex.has(sample.name)) throw new Error(`sample '${sample.name}' is defined twice`);
    if (!(sample.loopStart >= 0 && sample.loopEnd <= sample.data.length && sample.loopStart <= sample.loopEnd)) throw new RangeError(`sample '${sample.name}': loop ${sample.loopStart}–${sample.loopEnd} is outside its ${sample.data.length} frames`);
    sampleIndex.set(sample.name, index);
  });

  // sdta: each sample's frames then 46 zeros, 16-bit little-endian.
  const totalFrames = input.samples.reduce((sum, sample) => sum + sample.data.length + SAMPLE_PADDING, 0);
  const smpl = new Uint8Array(totalFrames * 2);
  const smplView = new DataView(smpl.buffer);
  const starts: number[] = [];
  let frame = 0;
  for (const sample of input.samples) {
    starts.push(frame);
    for (let i = 0; i < sample.data.length; i++) {
      const value = Math.max(-1, Math.min(1, sample.data[i]));
      smplView.setInt16((frame + i) * 2, Math.round(value * 32767), true);
    }
    frame += sample.data.length + SAMPLE_PADDING;
  }

  const phdr = new Writer();
  const pbag = new Writer();
  const pgen = new Writer();
  const inst = new Writer();
  const ibag = new Writer();
  const igen = new Writer();
  let pbagCount = 0;
  let pgenCount = 0;
  let ibagCount = 0;
  let igenCount = 0;

  input.presets.forEach((preset, presetIndex) => {
    // Instrument: optional global zone, then one zone per input zone.
    inst.name(preset.name);
    inst.u16(ibagCount);
    const instrumentZones: Gen[][] = [];
    if (preset.global) instrumentZones.push(generatorList(preset.global));
    for (const zone of preset.zones) {
      const index = sampleIndex.get(zone.sample);
      if (index === undefined) throw new Error(`preset '${preset.name}' uses unknown sample '${zone.sample}'`);
      // Order the spec requires: keyRange first, velRange next, sampleID last.
      const gens: Gen[] = [[GEN.keyRange, range(zone.keyRange)]];
      if (zone.velRange) gens.push([GEN.velRange, range(zone.velRange)]);
      gens.push(...generatorList(zone), [GEN.sampleID, index]);
      instrumentZones.push(gens);
    }
    for (const gens of instrumentZones) {
      ibag.u16(igenCount);
      ibag.u16(0);
      ibagCount++;
      for (const [operator, amount] of gens) {
        igen.u16(operator);
        igen.u16(amount & 0xffff);
        igenCount++;
      }
    }

    // Preset: one zone (key range, preset-level generators, instrument last).
    phdr.name(preset.name);
    phdr.u16(preset.program);
    phdr.u16(preset.bank);
    phdr.u16(pbagCount);
    phdr.u32(0);
    phdr.u32(0);
    phdr.u32(0);
    const gens: Gen[] = [];
    if (preset.presetKeyRange) gens.push([GEN.keyRange, range(preset.presetKeyRange)]);
    if (preset.presetGenerators) gens.push(...generatorList(preset.presetGenerators));
    gens.push([GEN.instrument, presetIndex]);
    pbag.u16(pgenCount);
    pbag.u16(0);
    pbagCount++;
    for (const [operator, amount] of gens) {
      pgen.u16(operator);
      pgen.u16(amount & 0xffff);
      pgenCount++;
    }
  });

  // Terminal records: EOP/EOI/EOS headers pointing one past the last bag; zero bag, gen, mod.
  phdr.name('EOP');
  phdr.u16(0);
  phdr.u16(0);
  phdr.u16(pbagCount);
  phdr.u32(0);
  phdr.u32(0);
  phdr.u32(0);
  pbag.u16(pgenCount);
  pbag.u16(0);
  pgen.u32(0);
  inst.name('EOI');
  inst.u16(ibagCount);
  ibag.u16(igenCount);
  ibag.u16(0);
  igen.u32(0);
  const terminalModulator = new Uint8Array(10);

  const shdr = new Writer();
  input.samples.forEach((sample, index) => {
    const start = starts[index];
    shdr.name(sample.name);
    shdr.u32(start);
    shdr.u32(start + sample.data.length);
    shdr.u32(start + sample.loopStart);
    shdr.u32(start + sample.loopEnd);
    shdr.u32(sample.sampleRate);
    shdr.u8(sample.rootKey);
    shdr.u8((sample.pitchCorrection ?? 0) & 0xff);
    shdr.u16(0); // sample link: none
    shdr.u16(1); // monoSample
  });
  shdr.name('EOS');
  for (let i = 0; i < 26; i++) shdr.u8(0);

  const info = list('INFO', [
    chunk('ifil', new Uint8Array([2, 0, 4, 0])), // version 2.04
    chunk('isng', zstr('EMU8000')),
    chunk('INAM', zstr(input.name ?? 'mixdown test bank')),
    chunk('ISFT', zstr('mixdown')),
  ]);
  const sdta = list('sdta', [chunk('smpl', smpl)]);
  const pdta = list('pdta', [
    chunk('phdr', phdr.bytes()),
    chunk('pbag', pbag.bytes()),
    chunk('pmod', terminalModulator),
    chunk('pgen', pgen.bytes()),
    chunk('inst', inst.bytes()),
    chunk('ibag', ibag.bytes()),
    chunk('imod', terminalModulator),
    chunk('igen', igen.bytes()),
    chunk('shdr', shdr.bytes()),
  ]);
  return riff('sfbk', [info, sdta, pdta]);
}

/** Generators of a zone in a legal order (ranges and the index generator are added by the caller). */
function generatorList(values: Sf2Generators): Gen[] {
  const gens: Gen[] = [];
  const push = (operator: number, value: number | undefined) => {
    if (value === undefined) return;
    if (!(Number.isInteger(value) && value >= -32768 && value <= 32767)) throw new RangeError(`generator ${operator}: ${value} is not a 16-bit whole number`);
    gens.push([operator, value]);
  };
  // Address offsets: fine part within ±32767 frames, the rest in 32768-frame coarse units.
  const offset = (fine: number, coarse: number, frames: number | undefined) => {
    if (frames === undefined) return;
    const coarseUnits = Math.trunc(frames / 32768);
    push(fine, frames - coarseUnits * 32768);
    if (coarseUnits !== 0) push(coarse, coarseUnits);
  };
  offset(GEN.startAddrsOffset, GEN.startAddrsCoarseOffset, values.startOffset);
  offset(GEN.endAddrsOffset, GEN.endAddrsCoarseOffset, values.endOffset);
  offset(GEN.startloopAddrsOffset, GEN.startloopAddrsCoarseOffset, values.loopStartOffset);
  offset(GEN.endloopAddrsOffset, GEN.endloopAddrsCoarseOffset, values.loopEndOffset);
  push(GEN.pan, values.pan);
  push(GEN.delayVolEnv, values.delayTimecents);
  push(GEN.attackVolEnv, values.attackTimecents);
  push(GEN.holdVolEnv, values.holdTimecents);
  push(GEN.decayVolEnv, values.decayTimecents);
  push(GEN.sustainVolEnv, values.sustainCentibels);
  push(GEN.releaseVolEnv, values.releaseTimecents);
  push(GEN.keynumToVolEnvHold, values.keynumToHold);
  push(GEN.keynumToVolEnvDecay, values.keynumToDecay);
  push(GEN.initialAttenuation, values.attenuation);
  push(GEN.coarseTune, values.coarseTune);
  push(GEN.fineTune, values.fineTune);
  push(GEN.sampleModes, values.sampleModes);
  push(GEN.scaleTuning, values.scaleTuning);
  push(GEN.exclusiveClass, values.exclusiveClass);
  push(GEN.overridingRootKey, values.rootKey);
  return gens;
}

/** A range generator's amount: low byte lo, high byte hi. */
function range([lo, hi]: readonly [number, number]): number {
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi <= 127 && lo <= hi)) throw new RangeError(`range ${lo}–${hi} must be whole numbers 0–127, low ≤ high`);
  return lo | (hi << 8);
}

class Writer {
  private readonly parts: number[] = [];
  u8(value: number): void {
    this.parts.push(value & 0xff);
  }
  u16(value: number): void {
    this.parts.push(value & 0xff, (value >>> 8) & 0xff);
  }
  u32(value: number): void {
    this.parts.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }
  /** A 20-byte zero-padded name (the last byte always zero, as the spec asks). */
  name(text: string): void {
    const bytes = ascii(text).slice(0, 19);
    for (let i = 0; i < 20; i++) this.parts.push(bytes[i] ?? 0);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function ascii(text: string): number[] {
  return Array.from(text, (char) => {
    const code = char.charCodeAt(0);
    return code < 128 ? code : 63; // '?' for anything outside ASCII
  });
}

/** A zero-terminated string padded to an even length, as INFO sub-chunks must be. */
function zstr(text: string): Uint8Array {
  const bytes = ascii(text);
  bytes.push(0);
  if (bytes.length % 2) bytes.push(0);
  return Uint8Array.from(bytes);
}

function chunk(id: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length & 1));
  out.set(ascii(id), 0);
  new DataView(out.buffer).setUint32(4, body.length, true);
  out.set(body, 8);
  return out;
}


function list(type: string, chunks: readonly Uint8Array[]): Uint8Array {
  return chunk('LIST', concatBytes([Uint8Array.from(ascii(type)), ...chunks]));
}

function riff(type: string, chunks: readonly Uint8Array[]): Uint8Array {
  return chunk('RIFF', concatBytes([Uint8Array.from(ascii(type)), ...chunks]));
}
