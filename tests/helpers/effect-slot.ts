/** A channel's effect slot as the plan makes it, for tests that drive an effect chain directly. */
import type { DeepPartial, EffectFactory } from '../../src/ir/plugin.ts';
import type { EffectSlotIR } from '../../src/ir/types.ts';

/** Slot `id` running `factory` with `options` (defaults filled in), wet, unkeyed and unautomated unless `extra` says otherwise. */
export function effectSlot<O extends object>(id: string, factory: EffectFactory<O>, options: DeepPartial<O>, extra: Partial<EffectSlotIR> = {}): EffectSlotIR {
  return {
    id,
    plugin: factory.definition.name,
    version: factory.definition.version,
    options: factory(options).options as Record<string, unknown>,
    mix: 1,
    sidechain: null,
    seed: 11,
    source: null,
    code: null,
    files: [],
    automation: {},
    ...extra,
  };
}
