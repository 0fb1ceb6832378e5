/**
 * The mix graph's channel strips, for tracks and buses alike: insert effects (resolved to
 * registered plugins with checked options), sends, fader, solo and mute, and automation of
 * any numeric parameter. Routing as a whole (unknown buses, cycles, sidechains from
 * downstream) is checked in routing.ts once every channel is known.
 */
import type { AutomationInput } from '../api/automation.ts';
import type { EffectRef } from '../ir/plugin.ts';
import type { ChannelInput } from '../api/song.ts';
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { mixSeed } from '../dsp/random.ts';
import { fileErrorDetail, hashProjectFile } from '../registry/dependencies.ts';
import { effectNames, findEffect, type PluginCode } from '../registry/registry.ts';
import { elaborateAutomation, type AutomationTiming } from './automation.ts';
import { checkOptions, pluginProblems, type OptionProblem } from './options.ts';
import type { AutomationIR, ChannelIR, EffectSlotIR, SendIR } from '../ir/types.ts';

export type Where = Record<string, unknown> & { file: string; song: string; track?: string; path?: readonly (string | number)[] };

export interface ChannelEnv {
  readonly pluginCode: PluginCode;
}

/** A channel strip before its automation is resolved (that needs the song's length). */
export type ChannelDraft = Omit<ChannelIR, 'gainAutomation' | 'panAutomation'> & { readonly label: string };

export function channelLabel(kind: 'track' | 'bus', id: string): string {
  return `${kind} '${id}'`;
}

export function elaborateChannel(
  kind: 'track' | 'bus',
  id: string,
  index: number,
  input: ChannelInput,
  seed: number,
  env: ChannelEnv,
  where: Where,
  problems: Diagnostic[],
): ChannelDraft {
  const label = channelLabel(kind, id);
  const channelWhere = where;
  const gainDb = input.gain ?? 0;
  if (typeof gainDb !== 'number' || !Number.isFinite(gainDb) || gainDb > 24) problems.push(d.badNumber(where, `${label} gain`, gainDb, 'in dB, at most +24'));
  const pan = input.pan ?? 0;
  if (typeof pan !== 'number' || !(pan >= -1 && pan <= 1)) problems.push(d.badNumber(where, `${label} pan`, pan, 'from -1 to 1'));
  const base = [kind === 'track' ? 'tracks' : 'buses', id];
  const effects = elaborateEffects(input.effects, label, seed, env, where, base, problems);
  const sends: SendIR[] = [];
  if (input.sends !== undefined && !Array.isArray(input.sends)) problems.push(d.badNumber(where, `${label} sends`, input.sends, 'as a list of { to, level, pre }'));
  for (const [index, send] of (Array.isArray(input.sends) ? input.sends : []).entries()) {
    const levelDb = send?.level ?? 0;
    where = { ...where, path: [...base, 'sends', index] };
    if (typeof send?.to !== 'string') problems.push(d.badNumber(where, `${label} send target`, send?.to, "as a bus id, e.g. { to: 'reverb', level: -12 }"));
    else if (typeof levelDb !== 'number' || !Number.isFinite(levelDb) || levelDb > 24) problems.push(d.badNumber(where, `${label} send to '${send.to}' level`, levelDb, 'in dB, at most +24'));
    else if (sends.some((other) => other.to === send.to)) problems.push(d.badNumber(where, `${label} send to '${send.to}'`, 'twice', 'once per bus'));
    else sends.push({ to: send.to, levelDb, pre: send.pre === true, automation: null });
  }
  where = channelWhere;
  return {
    id,
    name: typeof input.name === 'string' && input.name ? input.name : id,
    index,
    label,
    effects,
    sends,
    gainDb,
    pan,
    // Tracks of mono instruments are set to 'mono' by the caller, who knows the instrument.
    panLaw: 'balance',
    output: input.output ?? 'master',
    mute: input.mute === true,
    invert: input.invert === true,
    seed,
  };
}

function elaborateEffects(list: readonly EffectRef[] | undefined, label: string, seed: number, env: ChannelEnv, channelWhere: Where, base: readonly (string | number)[], problems: Diagnostic[]): EffectSlotIR[] {
  let where = channelWhere;
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.push(d.badNumber(where, `${label} effects`, list, 'as a list, e.g. [eq({ … }), compressor({ … })]'));
    return [];
  }
  const slots: EffectSlotIR[] = [];
  const used = new Map<string, number>();
  list.forEach((ref, position) => {
    where = { ...channelWhere, path: [...base, 'effects', position] };
    const definition = ref && typeof ref.plugin === 'string' ? findEffect(ref.plugin) : undefined;
    if (!definition || ref.kind !== 'effect') {
      problems.push(d.unknownEffect(where, label, String(ref?.plugin ?? ref), effectNames()));
      return;
    }
    const slot = ref.slot ?? {};
    // Slot ids: given, or the effect's name, numbered from the second of a kind (eq, eq-2).
    const count = (used.get(ref.plugin) ?? 0) + 1;
    used.set(ref.plugin, count);
    const id = slot.id ?? (count === 1 ? ref.plugin : `${ref.plugin}-${count}`);
    if (slots.some((other) => other.id === id)) problems.push(d.badEffect(where, label, id, 'repeats a slot id; give each slot its own id'));
    const before = problems.length;
    const optionProblems: OptionProblem[] = [];
    checkOptions(definition.defaults, ref.options, '', optionProblems);
    for (const problem of optionProblems) problems.push(d.badEffect(where, label, id, problem.option ? `option '${problem.option}' ${problem.detail}` : problem.detail));
    for (const problem of pluginProblems(definition.validate?.bind(definition) as never, ref.options, problems.length > before)) problems.push(d.badEffect(where, label, id, problem));
    const mix = slot.mix ?? 1;
    if (typeof mix !== 'number' || !(mix >= 0 && mix <= 1)) problems.push(d.badEffect(where, label, id, `mix ${JSON.stringify(mix)} must be from 0 to 1`));
    const sidechainInput = typeof slot.sidechain === 'string' ? { from: slot.sidechain } : slot.sidechain;
    let sidechain: EffectSlotIR['sidechain'] = null;
    if (sidechainInput) {
      const highpass = sidechainInput.highpass ?? 0;
      if (!definition.sidechain) problems.push(d.badEffect(where, label, id, `cannot key from a sidechain (effects that can: ${effectNames().filter((name) => findEffect(name)?.sidechain).join(', ')})`));
      else if (typeof sidechainInput.from !== 'string') problems.push(d.badEffect(where, label, id, 'sidechain.from must be a track or bus id'));
      else if (typeof highpass !== 'number' || !(highpass >= 0 && highpass < 20000)) problems.push(d.badEffect(where, label, id, 'sidechain.highpass must be from 0 (off) to 20000 Hz'));
      else sidechain = { from: sidechainInput.from, highpass };
    }
    const files: EffectSlotIR['files'][number][] = [];
    for (const path of problems.length === before ? (definition.files?.(ref.options as never) ?? []) : []) {
      try {
        files.push({ path, sha256: hashProjectFile(path) });
      } catch (error) {
        problems.push(d.badEffectFile(where, label, id, path, fileErrorDetail(error)));
      }
    }
    const plugin = env.pluginCode('effect', ref.plugin);
    if (slot.bypass === true) return;
    slots.push({
      id,
      plugin: ref.plugin,
      version: definition.version,
      options: ref.options as Record<string, unknown>,
      mix,
      sidechain,
      seed: mixSeed(seed, position + 1),
      source: plugin?.source ?? null,
      code: plugin?.code ?? null,
      files,
      automation: {},
    });
  });
  return slots;
}

/**
 * Resolve a channel's automation targets: fader, pan, sends, effect options and (for tracks)
 * instrument options. Returns the finished channel plus the instrument's curves.
 */
export function attachAutomation(
  draft: ChannelDraft,
  automation: Readonly<Record<string, AutomationInput>> | undefined,
  instrumentOptions: Record<string, unknown> | null,
  timing: AutomationTiming,
  where: Where,
  problems: Diagnostic[],
): { channel: ChannelIR; instrument: Record<string, AutomationIR> } {
  const { label: _label, ...base } = draft;
  let gainAutomation: AutomationIR | null = null;
  let panAutomation: AutomationIR | null = null;
  const sends = draft.sends.map((send) => ({ ...send }));
  const effects = draft.effects.map((slot) => ({ ...slot, automation: { ...slot.automation } }));
  const instrument: Record<string, AutomationIR> = {};
  for (const [target, input] of Object.entries(automation ?? {})) {
    const fail = (detail: string) => problems.push(d.badAutomation({ ...where, path: [draft.label.startsWith('track') ? 'tracks' : 'buses', draft.id, 'automation', target] }, draft.label, target, detail));
    const sentences: string[] = [];
    const resolve = () => {
      const ir = elaborateAutomation(input, timing, sentences);
      for (const sentence of sentences) fail(sentence);
      return sentences.length ? undefined : ir;
    };
    const [head, ...rest] = target.split('.');
    if (target === 'gain' || target === 'pan') {
      const ir = resolve();
      if (ir && target === 'gain') gainAutomation = ir;
      if (ir && target === 'pan') panAutomation = ir;
    } else if (head === 'send' && rest.length === 1) {
      const send = sends.find((entry) => entry.to === rest[0]);
      if (!send) fail(`names no send of this channel (sends: ${draft.sends.map((entry) => entry.to).join(', ') || 'none'})`);
      else send.automation = resolve() ?? null;
    } else if (head === 'fx' && rest.length >= 2) {
      const slot = effects.find((entry) => entry.id === rest[0]);
      const path = rest.slice(1).join('.');
      if (!slot) fail(`names no effect slot of this channel (slots: ${draft.effects.map((entry) => entry.id).join(', ') || 'none'})`);
      else if (typeof optionAt(slot.options, path) !== 'number') fail(`names '${path}', which is not a numeric option of effect '${slot.plugin}'`);
      else {
        const ir = resolve();
        if (ir) slot.automation[path] = ir;
      }
    } else if (head === 'instrument' && rest.length >= 1 && instrumentOptions) {
      const path = rest.join('.');
      if (typeof optionAt(instrumentOptions, path) !== 'number') fail(`names '${path}', which is not a numeric option of the instrument`);
      else {
        const ir = resolve();
        if (ir) instrument[path] = ir;
      }
    } else fail('is not a target');
  }
  return { channel: { ...base, sends, effects, gainAutomation, panAutomation }, instrument };
}

/** The value at a dotted option path (`'bands.0.gain'`). */
export function optionAt(options: unknown, path: string): unknown {
  let value: unknown = options;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
