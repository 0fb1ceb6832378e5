/**
 * The sample-zone model every sample-playing instrument renders through: the sampler, drum
 * kits with samples, the slicer, audio clips and SoundFont presets all turn their input
 * into zones and stream them through the one voice engine (`streamZones` in sampler-engine.ts).
 */

/** Envelope of a sample voice, seconds (SoundFont's volume envelope shape). */
export interface ZoneEnvelope {
  /** Silence before the attack starts. @default 0 */
  readonly delay: number;
  /** Linear rise to full level. @default 0.001 */
  readonly attack: number;
  /** Time held at full level before the decay. @default 0 */
  readonly hold: number;
  /** Fall to the sustain level. @default 0 */
  readonly decay: number;
  /** Sustain level 0–1. @default 1 */
  readonly sustain: number;
  /** Fall to silence after note-off. @default 0.05 */
  readonly release: number;
}

/** One zone: which notes and velocities play which stretch of which sample, and how. */
export interface SampleZone {
  /** Key of the decoded audio in the sources map (a project path, or `sf2:<index>`). */
  readonly sample: string;
  /** Lowest MIDI key the zone answers. */
  readonly keyLow: number;
  /** Highest MIDI key the zone answers (inclusive). */
  readonly keyHigh: number;
  /** Lowest velocity the zone answers: velocity layers are zones with different ranges. */
  readonly velocityLow: number;
  /** Highest velocity the zone answers (inclusive). */
  readonly velocityHigh: number;
  /** The key at which the sample plays at its recorded pitch. */
  readonly rootKey: number;
  /** Extra tuning in cents (+ sharp). */
  readonly tune: number;
  /** Cents of pitch change per key away from the root (100 = chromatic, 0 = fixed pitch). */
  readonly keyTrack: number;
  /** First frame of the sample to play, at the source's own rate. */
  readonly start: number;
  /** End frame (exclusive) of the sample to play. */
  readonly end: number;
  /** 'forward': loop for the whole voice; 'sustain': loop while the key is held, then play out to `end`. */
  readonly loop: { readonly mode: 'none' | 'forward' | 'sustain'; readonly start: number; readonly end: number };
  /** Level of the zone, dB. */
  readonly gainDb: number;
  /** -1 (left) to 1 (right), constant-power. */
  readonly pan: number;
  /** The voice's volume envelope. */
  readonly envelope: ZoneEnvelope;
  /** Zones with equal ranges and the same group alternate (round robin) rather than layer. 0 = always play. */
  readonly roundRobinGroup: number;
  /** A note of a class > 0 cuts sounding voices of the same class (open/closed hat). */
  readonly exclusiveClass: number;
}

/** Decoded sample data at its own rate; zones address frames of it. */
export interface SampleSource {
  /** The rate the frames were recorded at. */
  readonly sampleRate: number;
  /** One array of frames per channel (mono or stereo). */
  readonly channels: readonly Float32Array[];
  /**
   * The same frames as 16-bit PCM (frame = value / 32768), for sources stored that way (a
   * SoundFont's): the engine then keeps its voice buffers in 16 bits, half the memory of
   * floats, and reads `channels` not at all. @default absent
   */
  readonly pcm16?: readonly Int16Array[];
}
