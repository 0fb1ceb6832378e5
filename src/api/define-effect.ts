import type { DeepPartial, EffectDefinition, EffectFactory, EffectRef, EffectSlotInput } from '../ir/plugin.ts';
import { mergeDefaults } from './define-instrument.ts';
import { callerModule } from './caller.ts';
import { registerEffect } from '../registry/registry.ts';

/**
 * Define an effect plugin. Returns the factory songs call, and registers the definition in
 * the one registry built-ins use too.
 */
export function defineEffect<Options extends object>(definition: EffectDefinition<Options>): EffectFactory<Options> {
  if (!definition.process && !definition.stream && !definition.graph) throw new Error(`effect '${definition.name}' needs a stream or process function, or a graph factory`);
  registerEffect(definition as unknown as EffectDefinition<object>, callerModule('defineEffect'));
  const factory = (options?: DeepPartial<Options>, slot?: EffectSlotInput): EffectRef<Options> => ({
    kind: 'effect',
    plugin: definition.name,
    version: definition.version,
    options: mergeDefaults(definition.defaults, options),
    slot: slot ?? {},
  });
  return Object.assign(factory, { definition });
}
