/** Level measurements shared by renderers and the report. */

/** Largest absolute sample value over all channels. */
export function samplePeak(channels: readonly Float32Array[]): number {
  let peak = 0;
  for (const channel of channels) {
    for (let i = 0; i < channel.length; i++) {
      const magnitude = Math.abs(channel[i]);
      if (magnitude > peak) peak = magnitude;
    }
  }
  return peak;
}

/** Linear gain → dB; silence is -Infinity, reported as null in JSON. */
export function toDb(gain: number): number {
  return 20 * Math.log10(gain);
}

export function fromDb(db: number): number {
  return Math.pow(10, db / 20);
}

/** dB rounded to 0.01 for reports, null for silence (JSON has no -Infinity). */
export function reportDb(gain: number): number | null {
  return gain > 0 ? Math.round(toDb(gain) * 100) / 100 : null;
}
