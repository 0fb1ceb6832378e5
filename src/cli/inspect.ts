/**
 * `mixdown inspect <song> [--variant v]`: the arrangement as text — tempo and meter changes,
 * then a sections × tracks grid with bar numbers and note counts per part, then the mix
 * graph: each channel's inserts, where it goes, its sends and its automation targets.
 */
import type { ChannelIR, SongIR } from '../ir/types.ts';
import { tickToBar } from '../theory/time.ts';

export function formatArrangement(song: SongIR): string {
  const lines: string[] = [];
  const seconds = song.lengthSamples / song.sampleRate;
  lines.push(`${song.title} (${song.id}${song.variant ? `, variant ${song.variant}` : ''}) — ${song.key.tonic} ${song.key.mode}, ${formatTime(seconds)}, ${tickToBar(song.meterMap, Math.max(0, song.lengthTicks - 1)) + 1} bars`);
  lines.push('');
  lines.push('tempo');
  for (const point of song.tempoMap) {
    lines.push(`  bar ${String(tickToBar(song.meterMap, point.tick) + 1).padStart(3)}  ${round(point.bpm)} BPM${point.rampToNext ? ' → ramp' : ''}`);
  }
  lines.push('meter');
  for (const point of song.meterMap) lines.push(`  bar ${String(point.bar + 1).padStart(3)}  ${point.numerator}/${point.denominator}`);
  lines.push('');

  // Columns: sections in play order (or one column for the whole song when there are none).
  const columns = song.sections.length
    ? song.sections.map((section) => ({ label: `${section.name} ${section.occurrence}`, bar: section.startBar + 1, start: section.startTick, end: section.endTick }))
    : [{ label: 'song', bar: 1, start: 0, end: song.lengthTicks }];
  const trackWidth = Math.max(5, ...song.tracks.map((track) => track.id.length));
  const widths = columns.map((column) => Math.max(column.label.length, `bar ${column.bar}`.length, 5));
  const row = (first: string, cells: string[]) => `${first.padEnd(trackWidth)}  ${cells.map((cell, i) => cell.padStart(widths[i])).join('  ')}`;
  lines.push(row('', columns.map((column) => column.label)));
  lines.push(row('', columns.map((column) => `bar ${column.bar}`)));
  for (const track of song.tracks) {
    const counts = columns.map((column) => track.notes.filter((note) => note.startTick >= column.start && note.startTick < column.end).length);
    lines.push(row(track.id + (track.mute ? ' (muted)' : ''), counts.map((count) => (count ? String(count) : '·'))));
  }
  lines.push('');
  lines.push(...formatRouting(song));
  lines.push(`${song.tracks.reduce((sum, track) => sum + track.notes.length, 0)} notes in ${song.tracks.length} tracks; markers: ${song.markers.map((m) => m.name).join(', ') || 'none'}`);
  return `${lines.join('\n')}\n`;
}

/** One line per channel: `bass  [ducker ← drums]  → glue   sends: echo -12 dB`. */
function formatRouting(song: SongIR): string[] {
  const channels: (ChannelIR & { kind: 'track' | 'bus'; instrumentTargets: string[] })[] = [
    ...song.tracks.map((track) => ({ ...track, kind: 'track' as const, instrumentTargets: Object.keys(track.instrumentAutomation).map((path) => `instrument.${path}`) })),
    ...song.buses.map((bus) => ({ ...bus, kind: 'bus' as const, instrumentTargets: [] })),
  ];
  if (!song.buses.length && channels.every((channel) => !channel.effects.length && !channel.sends.length)) return [];
  const width = Math.max(5, ...channels.map((channel) => channel.id.length + (channel.kind === 'bus' ? 4 : 0)));
  const lines = ['mix graph'];
  for (const channel of channels) {
    const inserts = channel.effects.map((slot) => `${slot.id}${slot.mix < 1 ? ` ${Math.round(slot.mix * 100)}%` : ''}${slot.sidechain ? ` ← ${slot.sidechain.from}` : ''}`);
    const sends = channel.sends.map((send) => `${send.to} ${send.levelDb} dB${send.pre ? ' pre' : ''}${send.automation ? ' (automated)' : ''}`);
    const automated: string[] = [
      ...(channel.gainAutomation ? ['gain'] : []),
      ...(channel.panAutomation ? ['pan'] : []),
      ...channel.effects.flatMap((slot) => Object.keys(slot.automation).map((path) => `fx.${slot.id}.${path}`)),
      ...channel.instrumentTargets,
    ];
    const name = channel.kind === 'bus' ? `bus ${channel.id}` : channel.id;
    lines.push(
      `  ${name.padEnd(width)}  ${inserts.length ? `[${inserts.join(', ')}]  ` : ''}→ ${channel.output}${sends.length ? `   sends: ${sends.join(', ')}` : ''}${automated.length ? `   automated: ${automated.join(', ')}` : ''}${channel.mute ? '   (muted)' : ''}`,
    );
  }
  lines.push('');
  return lines;
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function formatTime(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${(seconds - minutes * 60).toFixed(1).padStart(4, '0')}`;
}
