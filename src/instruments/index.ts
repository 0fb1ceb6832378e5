/** The built-in instruments. Importing this module registers them. */
export { synth, synthDefaults } from './synth.ts';
export type { SynthOptions, SynthFilterOptions } from './synth.ts';
export { drums, drumDefaults, GM_DRUMS } from './drums.ts';
export type { DrumOptions, DrumVoiceOptions, KickOptions, SnareOptions } from './drums.ts';
