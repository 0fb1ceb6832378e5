/**
 * Built-in effects. Importing this module registers them all (the same registry and the
 * same defineEffect() a project's plugins/ use).
 */
export { eq, eqDefaults, eqResponseDb } from './eq.ts';
export type { EqOptions, EqBandOptions } from './eq.ts';
export { compressor, compressorDefaults, compressorStaticCurveDb } from './compressor.ts';
export type { CompressorOptions } from './compressor.ts';
export { gate, gateDefaults } from './gate.ts';
export type { GateOptions } from './gate.ts';
export { ducker, duckerDefaults } from './ducker.ts';
export type { DuckerOptions } from './ducker.ts';
export { delay, delayDefaults } from './delay.ts';
export type { DelayOptions } from './delay.ts';
export { reverb, reverbDefaults } from './reverb.ts';
export type { ReverbOptions } from './reverb.ts';
export { convolution, convolutionDefaults } from './convolution.ts';
export type { ConvolutionOptions } from './convolution.ts';
export { chorus, chorusDefaults } from './chorus.ts';
export type { ChorusOptions } from './chorus.ts';
export { flanger, flangerDefaults } from './flanger.ts';
export type { FlangerOptions } from './flanger.ts';
export { phaser, phaserDefaults } from './phaser.ts';
export type { PhaserOptions } from './phaser.ts';
export { saturation, saturationDefaults } from './saturation.ts';
export type { SaturationOptions } from './saturation.ts';
export { bitcrusher, bitcrusherDefaults } from './bitcrusher.ts';
export type { BitcrusherOptions } from './bitcrusher.ts';
export { autoFilter, autoFilterDefaults } from './auto-filter.ts';
export type { AutoFilterOptions } from './auto-filter.ts';
export { width, widthDefaults } from './width.ts';
export type { WidthOptions } from './width.ts';
export { utility, utilityDefaults } from './utility.ts';
export type { UtilityOptions } from './utility.ts';
export type { SyncedTime } from '../theory/sync.ts';
// DSP building blocks for plugins: oversampling around a nonlinearity (whole signal, or as a block stream).
export { oversample, oversampleChannel, oversampleLatency, OversampleStream, OVERSAMPLE_FACTORS } from './oversample.ts';
export type { OversampleFactor, OversampledBlockFn } from './oversample.ts';
