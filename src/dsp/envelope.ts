/**
 * ADSR envelope with a defined end: linear attack, curved decay to sustain, curved release
 * that reaches exactly zero `release` seconds after note-off, so a voice knows when it is
 * silent and can stop. Curves are (1 - t/T)^3: close to the exponential an analogue
 * envelope makes, but finite, so "silent" is an exact sample index rather than a threshold.
 *
 * The envelope is evaluated at block edges, not per sample: `at()` gives the exact level at
 * any sample and `nextBreak()` the next corner (Infinity once silent), so a voice loop can split its blocks at the
 * corners and ramp linearly inside them (one add per sample, no pow/exp per sample).
 */
export interface Adsr {
  /** Seconds from 0 to full level. */
  readonly attack: number;
  /** Seconds from full level to the sustain level. */
  readonly decay: number;
  /** Level held while the note is down, 0–1. */
  readonly sustain: number;
  /** Seconds from note-off to silence. */
  readonly release: number;
}

/** An envelope over one note: levels by sample offset from note-on. */
export class AdsrEnvelope {
  private readonly attackEnd: number;
  private readonly decaySamples: number;
  private readonly releaseSamples: number;
  private readonly sustain: number;
  /** Level at note-off, where the release starts from (the note may end mid-attack). */
  private readonly releaseFrom: number;
  /** Samples from note-on until the level is exactly zero for good. */
  readonly totalSamples: number;

  /**
   * `from`: the level the attack starts at (a retriggered legato note, 0 otherwise); it rises
   * at the full attack's slope, reaching the top in (1 − from) × attack.
   */
  constructor(adsr: Adsr, sampleRate: number, private readonly gateSamples: number, private readonly from = 0) {
    // At least one sample each, so every segment has a defined slope and a voice always
    // starts from exactly `from` (0 for a new note) at its first sample.
    this.attackEnd = Math.max(1, Math.round(adsr.attack * sampleRate * (1 - from)));
    this.decaySamples = Math.max(1, Math.round(adsr.decay * sampleRate));
    this.releaseSamples = Math.max(1, Math.round(adsr.release * sampleRate));
    this.sustain = Math.min(1, Math.max(0, adsr.sustain));
    this.releaseFrom = this.held(gateSamples);
    this.totalSamples = gateSamples + this.releaseSamples;
  }

  /** Level while the gate is held, `n` samples after note-on. */
  private held(n: number): number {
    if (n < this.attackEnd) return this.from + (1 - this.from) * (n / this.attackEnd);
    const d = n - this.attackEnd;
    if (d < this.decaySamples) {
      const x = 1 - d / this.decaySamples;
      return this.sustain + (1 - this.sustain) * x * x * x;
    }
    return this.sustain;
  }

  /** Level `n` samples after note-on (0 before note-on and from `totalSamples` on). */
  at(n: number): number {
    if (n < 0) return 0;
    if (n < this.gateSamples) return this.held(n);
    const r = n - this.gateSamples;
    if (r >= this.releaseSamples) return 0;
    const x = 1 - r / this.releaseSamples;
    return this.releaseFrom * x * x * x;
  }

  /**
   * The first corner after offset `n`: end of attack, end of decay, note-off or silence.
   * Between `n` and this corner the level follows one smooth segment.
   */
  nextBreak(n: number): number {
    const decayEnd = this.attackEnd + this.decaySamples;
    if (n < this.attackEnd && this.attackEnd < this.gateSamples) return this.attackEnd;
    if (n < decayEnd && decayEnd < this.gateSamples) return decayEnd;
    if (n < this.gateSamples) return this.gateSamples;
    // Past the end the level stays 0 for good: no further corner.
    return n < this.totalSamples ? this.totalSamples : Infinity;
  }

  /** True when the level stays constant from `n` to the next corner (the sustain plateau). */
  isFlatAt(n: number): boolean {
    return n >= this.attackEnd + this.decaySamples && n < this.gateSamples;
  }
}
