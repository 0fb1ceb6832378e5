/** Range checks the synthesisers share, worded once so every instrument says them alike. */
import type { Adsr } from '../dsp/envelope.ts';

/** A resonant filter with an envelope and key tracking, and the amplifier's and filter's ADSRs. */
export function filterAndEnvelopeProblems(options: {
  readonly filter: { readonly cutoff: number; readonly resonance: number; readonly envAmount: number; readonly keyTrack: number };
  readonly envelope: Adsr;
  readonly filterEnvelope: Adsr;
}): string[] {
  const problems: string[] = [];
  if (!(options.filter.cutoff > 0)) problems.push('filter.cutoff must be above 0 Hz');
  if (!(options.filter.resonance >= 0 && options.filter.resonance <= 1)) problems.push('filter.resonance must be from 0 to 1');
  if (!Number.isFinite(options.filter.envAmount)) problems.push('filter.envAmount must be a number of octaves');
  if (!(options.filter.keyTrack >= 0 && options.filter.keyTrack <= 1)) problems.push('filter.keyTrack must be from 0 to 1');
  for (const [name, env] of [['envelope', options.envelope], ['filterEnvelope', options.filterEnvelope]] as const) {
    if (!(env.attack >= 0 && env.decay >= 0 && env.release >= 0)) problems.push(`${name} times must not be negative`);
    if (!(env.sustain >= 0 && env.sustain <= 1)) problems.push(`${name}.sustain must be from 0 to 1`);
  }
  return problems;
}

/** The output level in dB and the General MIDI program every tonal instrument has. */
export function levelAndProgramProblems(options: { readonly level: number; readonly program: number }): string[] {
  const problems: string[] = [];
  if (!Number.isFinite(options.level)) problems.push('level must be a number of dB');
  if (!(Number.isInteger(options.program) && options.program >= 0 && options.program <= 127)) problems.push('program must be a whole number 0–127');
  return problems;
}
