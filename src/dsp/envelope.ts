/**
 * ADSR envelope with a defined end: linear attack, curved decay to sustain, curved release
 * that reaches exactly zero after `release` seconds, so a voice knows when it is silent.
 * Curves are (1 - t/T)^3: close to the exponential an analogue envelope makes, but finite.
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

/** An envelope over one note, evaluated sample by sample. */
export class AdsrEnvelope {
  private readonly attackSamples: number;
  private readonly decaySamples: number;
  private readonly releaseSamples: number;
  private readonly sustain: number;
  /** Level at note-off, where the release starts from. */
  private releaseFrom = 0;

  constructor(adsr: Adsr, sampleRate: number, private readonly gateSamples: number) {
    this.attackSamples = Math.max(1, Math.round(adsr.attack * sampleRate));
    this.decaySamples = Math.max(1, Math.round(adsr.decay * sampleRate));
    this.releaseSamples = Math.max(1, Math.round(adsr.release * sampleRate));
    this.sustain = Math.min(1, Math.max(0, adsr.sustain));
    this.releaseFrom = this.held(gateSamples);
  }

  /** Samples from note-on until the envelope is exactly zero. */
  get totalSamples(): number {
    return this.gateSamples + this.releaseSamples;
  }

  /** Level while the gate is held, `n` samples after note-on. */
  private held(n: number): number {
    if (n < this.attackSamples) return n / this.attackSamples;
    const d = n - this.attackSamples;
    if (d < this.decaySamples) {
      const x = 1 - d / this.decaySamples;
      return this.sustain + (1 - this.sustain) * x * x * x;
    }
    return this.sustain;
  }

  /** Write the levels of samples [0, count) after note-on into `out`: segment loops, no per-sample branching. */
  fill(out: Float64Array, count: number): void {
    const { attackSamples, decaySamples, releaseSamples, sustain, gateSamples, releaseFrom } = this;
    let n = 0;
    for (const attackEnd = Math.min(attackSamples, gateSamples, count); n < attackEnd; n++) out[n] = n / attackSamples;
    for (const decayEnd = Math.min(attackSamples + decaySamples, gateSamples, count); n < decayEnd; n++) {
      const x = 1 - (n - attackSamples) / decaySamples;
      out[n] = sustain + (1 - sustain) * x * x * x;
    }
    for (const sustainEnd = Math.min(gateSamples, count); n < sustainEnd; n++) out[n] = sustain;
    for (const releaseEnd = Math.min(gateSamples + releaseSamples, count); n < releaseEnd; n++) {
      const x = 1 - (n - gateSamples) / releaseSamples;
      out[n] = releaseFrom * x * x * x;
    }
    for (; n < count; n++) out[n] = 0;
  }

  /** Level `n` samples after note-on. */
  at(n: number): number {
    if (n < this.gateSamples) return this.held(n);
    const r = n - this.gateSamples;
    if (r >= this.releaseSamples) return 0;
    const x = 1 - r / this.releaseSamples;
    return this.releaseFrom * x * x * x;
  }
}

