/**
 * The mix graph as a whole: every output and send names a bus, nothing feeds itself, no
 * effect keys from a channel downstream of it; then solo turns into mutes. Channels are
 * tracks and buses; edges run from a channel to what it feeds (output, send) and from a
 * sidechain source to the channel whose effect it keys.
 */
import { diagnostics as d } from '../diagnostics/catalogue.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ChannelDraft, Where } from './channels.ts';

export interface RoutingInput {
  readonly tracks: readonly ChannelDraft[];
  readonly buses: readonly ChannelDraft[];
  /** Which channels asked for solo. */
  readonly soloed: ReadonlySet<string>;
  readonly where: (kind: 'track' | 'bus', id: string, key?: string) => Where;
}

/** Check routing; returns the ids of channels muted by solo (empty when nothing is soloed). */
export function checkRouting(input: RoutingInput, problems: Diagnostic[]): Set<string> {
  const busIds = input.buses.map((bus) => bus.id);
  const trackIds = new Set(input.tracks.map((track) => track.id));
  const channels = [...input.tracks.map((c) => ['track', c] as const), ...input.buses.map((c) => ['bus', c] as const)];
  const before = problems.length;
  /** Audio edges: channel → the buses it outputs or sends to. */
  const feeds = new Map<string, string[]>();
  for (const [kind, channel] of channels) {
    const targets: string[] = [];
    if (channel.output !== 'master') {
      if (trackIds.has(channel.output)) problems.push(d.sendToTrack(input.where(kind, channel.id, 'output'), channel.label, channel.output));
      else if (!busIds.includes(channel.output)) problems.push(d.unknownOutput(input.where(kind, channel.id, 'output'), channel.label, channel.output, busIds));
      else targets.push(channel.output);
    }
    for (const send of channel.sends) {
      if (trackIds.has(send.to)) problems.push(d.sendToTrack(input.where(kind, channel.id, 'sends'), channel.label, send.to));
      else if (!busIds.includes(send.to)) problems.push(d.unknownSend(input.where(kind, channel.id, 'sends'), channel.label, send.to, busIds));
      else targets.push(send.to);
    }
    feeds.set(channel.id, targets);
  }
  if (problems.length > before) return new Set();
  const audioCycle = findCycle(feeds);
  if (audioCycle) {
    problems.push(d.routingCycle(input.where('bus', audioCycle[0]), audioCycle));
    return new Set();
  }
  // Sidechains: the key's source must exist and must not be downstream of (or be) the channel.
  const all = new Map<string, string[]>([...feeds].map(([id, targets]) => [id, [...targets]]));
  for (const [kind, channel] of channels) {
    for (const slot of channel.effects) {
      if (!slot.sidechain) continue;
      const from = slot.sidechain.from;
      if (!feeds.has(from)) {
        problems.push(d.unknownSidechain(input.where(kind, channel.id, 'sidechain'), channel.label, slot.id, from, [...feeds.keys()]));
        continue;
      }
      const path = pathBetween(feeds, channel.id, from);
      if (path) {
        problems.push(d.sidechainDownstream(input.where(kind, channel.id, 'sidechain'), channel.label, slot.id, from, path));
        continue;
      }
      all.get(from)!.push(channel.id);
    }
  }
  if (problems.length > before) return new Set();
  const keyCycle = findCycle(all);
  if (keyCycle) problems.push(d.routingCycle(input.where('track', keyCycle[0]), keyCycle));
  return soloMutes(feeds, input.soloed);
}

/** A path of audio edges from `from` to `to` (inclusive), or null. */
function pathBetween(edges: ReadonlyMap<string, readonly string[]>, from: string, to: string): string[] | null {
  if (from === to) return [from];
  const previous = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const node = queue.shift()!;
    for (const next of edges.get(node) ?? []) {
      if (previous.has(next)) continue;
      previous.set(next, node);
      if (next === to) {
        const path = [to];
        while (path[0] !== from) path.unshift(previous.get(path[0])!);
        return path;
      }
      queue.push(next);
    }
  }
  return null;
}

/** The first cycle found, as a path that ends where it starts (`a → b → a`), or null. */
function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

/**
 * With anything soloed, a channel stays audible when it is soloed, feeds a soloed channel
 * (a track into a soloed bus), or is fed by one (the soloed track's buses and returns).
 */
function soloMutes(feeds: ReadonlyMap<string, readonly string[]>, soloed: ReadonlySet<string>): Set<string> {
  if (soloed.size === 0) return new Set();
  const audible = new Set<string>();
  const reverse = new Map<string, string[]>();
  for (const [from, targets] of feeds) for (const to of targets) reverse.set(to, [...(reverse.get(to) ?? []), from]);
  const walk = (start: string, edges: ReadonlyMap<string, readonly string[]>) => {
    const queue = [start];
    while (queue.length) {
      const node = queue.shift()!;
      for (const next of edges.get(node) ?? []) if (!audible.has(next)) { audible.add(next); queue.push(next); }
    }
  };
  for (const id of soloed) {
    audible.add(id);
    walk(id, feeds);
    walk(id, reverse);
  }
  return new Set([...feeds.keys()].filter((id) => !audible.has(id)));
}
