import type { DeepPartial, InstrumentDefinition, InstrumentFactory, InstrumentRef } from '../ir/plugin.ts';
import { registerInstrument } from '../registry/registry.ts';
import { callerModule } from './caller.ts';

/**
 * Define an instrument plugin. Returns the factory songs call; registering it in the
 * one registry that built-ins use too.
 */
export function defineInstrument<Options extends object>(
  definition: InstrumentDefinition<Options>,
): InstrumentFactory<Options> {
  // A plugin author's mistake, caught where the plugin is defined rather than at render time.
  if (typeof definition.render !== 'function' && typeof definition.stream !== 'function') {
    throw new TypeError(`defineInstrument('${definition.name}'): give render(context) or stream(context)`);
  }
  registerInstrument(definition as unknown as InstrumentDefinition<object>, callerModule('defineInstrument'));
  const factory = (options?: DeepPartial<Options>): InstrumentRef<Options> => ({
    kind: 'instrument',
    plugin: definition.name,
    version: definition.version,
    options: mergeDefaults(definition.defaults, options),
  });
  return Object.assign(factory, { definition });
}

/** Deep-merge user options over defaults. Arrays and primitives replace; objects merge. */
export function mergeDefaults<T>(defaults: T, overrides: unknown): T {
  if (overrides === undefined) return structuredClone(defaults);
  if (!isPlainObject(defaults) || !isPlainObject(overrides)) return structuredClone(overrides) as T;
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) merged[key] = mergeDefaults((defaults as Record<string, unknown>)[key], overrides[key]);
  // Unknown keys are kept so validate() can name them instead of silently dropping a typo.
  for (const key of Object.keys(overrides)) if (!(key in merged)) merged[key] = overrides[key];
  return merged as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
