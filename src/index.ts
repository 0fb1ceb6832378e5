/**
 * The public surface songs import: `import { defineSong, synth, drums } from 'mixdown'`.
 */
export { defineSong, track, note } from './api/song.ts';
export { defineConfig } from './api/config.ts';
export type { UserConfig, RemoteCacheConfig } from './api/config.ts';
export { withForm, removeTracks, muteTracks, withTrack, swapInstrument, withTempo, reseed, transposeSong } from './api/variants.ts';
export { scale, chord, progression, HarmonyError } from './theory/harmony.ts';
export type { ChordOptions } from './theory/harmony.ts';
export {
  euclid,
  euclidPattern,
  grid,
  arpeggiate,
  swing,
  humanize,
  quantize,
  transpose,
  velocityRamp,
  velocityCurve,
  legato,
  staccato,
  tuplet,
  shift,
  repeat,
} from './theory/rhythm.ts';
export type { TickedNote, GridOptions, ArpeggioOptions } from './theory/rhythm.ts';
export type {
  PartInput,
  HumanizeInput,
  TempoChange,
  MeterChange,
  KeyName,
  SectionInput,
  SongInput,
  SongDefinition,
  SongContext,
  TrackInput,
  NoteInput,
  Meter,
  SampleRate,
  MasterInput,
  OutputName,
  ChannelInput,
  BusInput,
  SendInput,
} from './api/song.ts';
export { defineEffect } from './api/define-effect.ts';
export { point, lfo } from './api/automation.ts';
export type { AutomationInput, AutomationPoint, AutomationShape, LfoInput } from './api/automation.ts';
export * from './effects/index.ts';
// Seeded randomness for plugins (never Math.random): the generator mixdown's own DSP uses.
export { createRandom, mixSeed, noiseAt, NOISE_STEP } from './dsp/random.ts';
export { defineInstrument } from './api/define-instrument.ts';
export { midiClip } from './api/midi-clip.ts';
export type { MidiClipOptions } from './api/midi-clip.ts';
export type {
  DeepPartial,
  InstrumentDefinition,
  InstrumentFactory,
  InstrumentRef,
  InstrumentRenderContext,
  InstrumentStream,
  InstrumentStreamContext,
  InstrumentMidiInfo,
  NoteEvent,
  EffectDefinition,
  EffectFactory,
  EffectRef,
  EffectProcessContext,
  EffectStream,
  EffectStreamContext,
  EffectBlock,
  EffectGraphContext,
  EffectSlotInput,
  SidechainInput,
  AudioFileData,
} from './ir/plugin.ts';
// A plugin's stream state for checkpoint()/restore(): read and write a class's fields as plain data.
export { captureFields, restoreFields, StateMismatchError } from './ir/effect-state.ts';
export type { EffectState } from './ir/effect-state.ts';
export * from './instruments/index.ts';
export { clip, audioTrack } from './instruments/audio-track.ts';
export { detectHits, hitsToNotes } from './api/hits.ts';
export type { DetectHitsOptions, DetectedHit, HitsToNotesOptions } from './api/hits.ts';
export { detectOnsets } from './dsp/onsets.ts';
export type { Onset, OnsetOptions } from './dsp/onsets.ts';
export type { Clip, ClipOptions } from './instruments/audio-track.ts';
export { ticks, beats, bars, seconds, PPQ } from './theory/units.ts';
export type {
  Time,
  BarsBeatsTicks,
  NoteValue,
  Pitch,
  NoteName,
  MidiNote,
  Velocity,
  Decibels,
  Hertz,
  Seconds,
  BPM,
  Ticks,
  Samples,
  Pan,
} from './theory/units.ts';
export { parsePitch, pitchName, midiToFrequency } from './theory/pitch.ts';
