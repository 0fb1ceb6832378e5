/**
 * Band-limiting corrections for naive waveforms (Välimäki's two-sample polynomial
 * approximations). `t` is the phase in [0, 1) measured from the discontinuity, `dt` the
 * phase increment per sample; both are zero except within one sample of the discontinuity.
 *
 * - polyBlep: residual of a step of +2 (the height of a saw reset or a square edge).
 *   Add it at a rising step of 2, subtract it at a falling one.
 * - polyBlamp: residual of a slope change of +2 per sample (the integral of polyBlep),
 *   so a corner whose slope changes by s per sample takes (s / 2)·polyBlamp.
 */

export function polyBlep(t: number, dt: number): number {
  if (t < dt) {
    const x = t / dt;
    return x + x - x * x - 1;
  }
  if (t > 1 - dt) {
    const x = (t - 1) / dt;
    return x * x + x + x + 1;
  }
  return 0;
}

export function polyBlamp(t: number, dt: number): number {
  if (t < dt) {
    const x = t / dt - 1;
    return (-1 / 3) * x * x * x;
  }
  if (t > 1 - dt) {
    const x = (t - 1) / dt + 1;
    return (1 / 3) * x * x * x;
  }
  return 0;
}
