/**
 * Band-limiting corrections for naive waveforms (Välimäki's polynomial approximations).
 * polyBLEP smooths a step (saw reset, square edge); polyBLAMP smooths a corner (triangle).
 * `t` is the phase in [0, 1) measured from the discontinuity, `dt` the phase increment.
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
