import type { InstrumentDefinition } from '../api/plugin.ts';

/**
 * The one instrument registry. Built-ins and project plugins both land here through
 * defineInstrument(); renderers look definitions up by the name an IR node carries.
 */
// Kept on globalThis because the song loader executes `mixdown` in its own module graph:
// a plugin a song imports must land in the same registry the renderer reads.
const REGISTRY_KEY = Symbol.for('mixdown.instrument-registry');
const registryHost = globalThis as { [REGISTRY_KEY]?: Map<string, InstrumentDefinition<object>> };
const instruments = (registryHost[REGISTRY_KEY] ??= new Map<string, InstrumentDefinition<object>>());

export function registerInstrument(definition: InstrumentDefinition<object>): void {
  // Re-registration happens when a module is re-executed (watch mode): the newest wins,
  // and since the version is in every cache key a changed plugin cannot reuse stale audio.
  instruments.set(definition.name, definition);
}

export function findInstrument(name: string): InstrumentDefinition<object> | undefined {
  return instruments.get(name);
}

export function instrumentNames(): string[] {
  return [...instruments.keys()].sort();
}
