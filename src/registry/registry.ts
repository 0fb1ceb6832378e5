import type { EffectDefinition, InstrumentDefinition } from '../ir/plugin.ts';

/**
 * The one instrument registry. Built-ins and project plugins both land here through
 * defineInstrument(); renderers look definitions up by the name an IR node carries.
 */
// Kept on globalThis because the song loader executes `mixdown` in its own module graph:
// a plugin a song imports must land in the same registry the renderer reads.
const REGISTRY_KEY = Symbol.for('mixdown.instrument-registry');
const registryHost = globalThis as { [REGISTRY_KEY]?: Map<string, InstrumentDefinition<object>> };
const instruments = (registryHost[REGISTRY_KEY] ??= new Map<string, InstrumentDefinition<object>>());
const EFFECTS_KEY = Symbol.for('mixdown.effect-registry');
const SOURCES_KEY = Symbol.for('mixdown.plugin-sources');
const effectHost = globalThis as { [EFFECTS_KEY]?: Map<string, EffectDefinition<object>>; [SOURCES_KEY]?: Map<string, string> };
const effects = (effectHost[EFFECTS_KEY] ??= new Map<string, EffectDefinition<object>>());
/** `instrument:<name>` / `effect:<name>` → the project module that defined it (absent for built-ins). */
const sources = (effectHost[SOURCES_KEY] ??= new Map<string, string>());

export function registerInstrument(definition: InstrumentDefinition<object>, source: string | null = null): void {
  // Re-registration happens when a module is re-executed (watch mode): the newest wins,
  // and since the plugin's code hash is in every cache key a changed plugin cannot reuse stale audio.
  instruments.set(definition.name, definition);
  if (source) sources.set(`instrument:${definition.name}`, source);
  else sources.delete(`instrument:${definition.name}`);
}

export function registerEffect(definition: EffectDefinition<object>, source: string | null = null): void {
  effects.set(definition.name, definition);
  if (source) sources.set(`effect:${definition.name}`, source);
  else sources.delete(`effect:${definition.name}`);
}

export function findEffect(name: string): EffectDefinition<object> | undefined {
  return effects.get(name);
}

/** An insert chain's tail, seconds: the sum of its effects' tails (what each adds after its input stops). */
export function chainTail(slots: readonly { readonly plugin: string; readonly options: object }[]): number {
  let seconds = 0;
  for (const slot of slots) seconds += findEffect(slot.plugin)?.tail?.(slot.options as never) ?? 0;
  return seconds;
}

export function effectNames(): string[] {
  return [...effects.keys()].sort();
}

/** The project module that defined a plugin, or null for a built-in. */
export function pluginSource(kind: 'instrument' | 'effect', name: string): string | null {
  return sources.get(`${kind}:${name}`) ?? null;
}

export function findInstrument(name: string): InstrumentDefinition<object> | undefined {
  return instruments.get(name);
}

export function instrumentNames(): string[] {
  return [...instruments.keys()].sort();
}

/** Every project plugin's defining module: `instrument:<name>` / `effect:<name>` → path. */
export function pluginSources(): [string, string][] {
  return [...sources];
}

/** Whether a plugin of this kind and name is registered in this thread. */
export function isRegistered(kind: 'instrument' | 'effect', name: string): boolean {
  return kind === 'instrument' ? instruments.has(name) : effects.has(name);
}

/** Where a project plugin lives and the hash of its code, for plugins the song's modules defined. */
export type PluginCode = (kind: 'instrument' | 'effect', name: string) => { source: string; code: string } | null;
