/**
 * The diff page (diff.html, written by `mixdown diff --save`): one song compared across two
 * sides. The master and each changed stem or bus drawn with both sides' envelopes (A grey,
 * B blue) and the ranges where the renders differ marked over them; the arrangement and mix
 * changes as text; a piano roll of the changed notes per track and section; A/B playback of
 * the two masters at the same position (Web Audio over http, <audio> elements from file://).
 */
import uPlot from 'uplot';
import type { DiffPageData, DiffPageLane } from '../types.ts';
import { clock, element } from './dom.ts';
import { createPlayer, everyFrame, type Player } from './player.ts';
import { blankAxis, COLORS, TIME_PADDING } from './plots.ts';

type Side = 'a' | 'b';

/** The handle tests and the console use. */
interface DiffHandle {
  readonly data: DiffPageData;
  readonly player: Player;
  readonly plots: Record<string, uPlot>;
  readonly choice: { side: Side };
  /** Resolves when the last A/B switch has taken effect. */
  settled(): Promise<void>;
}

declare global {
  interface Window {
    mixdownDiff?: DiffHandle;
  }
}

const SIDE_COLORS = {
  a: { stroke: 'rgba(170, 176, 188, 0.9)', fill: 'rgba(170, 176, 188, 0.35)' },
  b: { stroke: COLORS.wave, fill: 'rgba(95, 179, 217, 0.45)' },
};

/** Piano-roll colours by kind of change. */
const KIND_COLORS: Record<string, string> = { added: '#2fbf71', removed: '#ff5c5c', moved: COLORS.marker, changed: COLORS.bus };

export function diffPage(root: HTMLElement, data: DiffPageData): void {
  const sides = (['a', 'b'] as const).filter((side) => data.audio[side] !== null);
  const player = createPlayer(sides.map((side) => ({ id: side, url: data.audio[side]! })));
  const choice: { side: Side } = { side: data.audio.b !== null ? 'b' : 'a' };
  const sideText = (side: Side) => `${side.toUpperCase()} · ${data[side].label}${data[side].commit ? ` (${data[side].commit!.slice(0, 10)})` : ''}`;

  // ── Header and transport.
  const title = element('h1', {}, data.song, element('span', { class: 'dim' }, `${data.variant ? ` · ${data.variant}` : ''} · ${data.a.label} → ${data.b.label}`));
  root.append(element('header', { class: 'top' }, title, element('span', { class: 'dim headline' }, data.headline)));
  const playButton = element('button', { class: 'play', title: 'play / pause (space)' }, '▶');
  const time = element('span', { class: 'time num' }, '');
  const sideBar = element('div', { class: 'group', role: 'group', 'aria-label': 'side' });
  const sideButtons = (['a', 'b'] as const).map((side) => {
    const button = element('button', { class: 'side-button', 'data-side': side, title: `hear ${side.toUpperCase()}'s master at the same position` }, sideText(side));
    if (data.audio[side] === null) button.disabled = true;
    button.addEventListener('click', () => {
      choice.side = side;
      void apply();
    });
    sideBar.append(button);
    return button;
  });
  const engine = element(
    'span',
    { class: 'dim engine' },
    !sides.length ? 'no audio: the sides’ masters were not at hand when the diff was saved' : player.engine === 'webaudio' ? '' : 'file:// · <audio> playback, loose sync',
  );
  playButton.disabled = !sides.length;
  root.append(element('div', { class: 'transport' }, playButton, time, sideBar, engine));

  // ── Timeline: master and each changed stem or bus, both sides, differing ranges marked.
  const timeline = element('section', { class: 'panel lanes' }, element('h2', {}, 'Timeline', element('span', { class: 'dim' }, ' A grey, B blue; red: where the renders differ (to 1024 samples); click to seek')));
  root.append(timeline);
  const rows = data.lanes.map((lane) => {
    const box = element('div', { class: 'plot lane-plot' });
    const label = element(
      'div',
      { class: 'side-label' },
      element('h2', {}, lane.path === 'master.wav' ? 'Master' : lane.path, element('span', { class: 'dim' }, ` ${lane.status}`)),
      element('div', { class: 'dim' }, lane.ranges.length ? `${lane.ranges.length} differing range${lane.ranges.length === 1 ? '' : 's'}` : lane.status === 'unchanged' ? '' : 'no range measured'),
      element('div', { class: 'dim lane-summary' }, lane.summary),
    );
    const row = element('div', { class: 'timed diff-lane', 'data-path': lane.path }, label, box);
    timeline.append(row);
    return { lane, box };
  });
  if (!rows.length) timeline.append(element('p', { class: 'dim' }, 'No audio compared (the song exists on one side only, or its sides are output folders without renders).'));

  // ── Changes as text.
  const list = (items: readonly string[]) => (items.length ? element('ul', { class: 'changes' }, ...items.map((item) => element('li', { class: 'num' }, item))) : element('p', { class: 'dim' }, 'no changes'));
  root.append(
    element(
      'div',
      { class: 'row' },
      element('section', { class: 'panel grow', 'data-list': 'arrangement' }, element('h2', {}, 'Arrangement'), list(data.arrangement)),
      element('section', { class: 'panel grow', 'data-list': 'mix' }, element('h2', {}, 'Mix'), list(data.mix)),
    ),
  );

  // ── Piano roll of the changed notes, per track and section.
  const notesPanel = element(
    'section',
    { class: 'panel notes' },
    element('h2', {}, 'Changed notes', element('span', { class: 'dim' }, ' outline: A, filled: B')),
    element('div', { class: 'legend' }, ...Object.entries(KIND_COLORS).map(([kind, color]) => element('span', {}, element('i', { style: `background:${color}` }), kind))),
  );
  root.append(notesPanel);
  if (!data.notes.length) notesPanel.append(element('p', { class: 'dim' }, data.musicalChange === null ? 'no note data (the sides were not built from sources)' : 'no note changed'));
  for (const group of data.notes) {
    const box = element('div', { class: 'roll', 'data-track': group.track, 'data-section': group.section });
    notesPanel.append(element('h3', {}, group.summary), box);
    box.append(pianoRoll(group, Math.max(300, notesPanel.clientWidth - 24)));
  }

  // ── Every output.
  const table = element('table', { class: 'numbers outputs' }, element('tr', {}, element('th', {}, 'output'), element('th', {}, 'status'), element('th', {}, '')));
  for (const output of data.outputs) {
    table.append(element('tr', { 'data-path': output.path }, element('td', { class: 'num' }, output.path), element('td', { class: output.status === 'unchanged' ? 'dim' : 'bad' }, output.status), element('td', { class: 'dim' }, output.summary)));
  }
  root.append(element('section', { class: 'panel' }, element('h2', {}, 'Outputs'), table));

  // Plots after the layout, so they take their boxes' widths.
  const plots: Record<string, uPlot> = {};
  const heads: { plot: uPlot; head: HTMLElement }[] = [];
  for (const { lane, box } of rows) {
    const layer = element('div', { class: 'ranges' });
    // Placed on every draw: uPlot knows its scales only once it has drawn, and again after a resize.
    const place = (plot: uPlot) => {
      layer.textContent = '';
      for (const range of lane.ranges) {
        const mark = element('div', {
          class: 'diff-range',
          'data-start': String(range.start),
          'data-end': String(range.end),
          title: `differs ${range.start.toFixed(3)}–${range.end.toFixed(3)} s${range.from ? ` (${range.from}–${range.to})` : ''}`,
        });
        const left = plot.valToPos(range.start, 'x');
        mark.style.left = `${left}px`;
        mark.style.width = `${Math.max(2, plot.valToPos(range.end, 'x') - left)}px`;
        layer.append(mark);
      }
    };
    const plot = lanePlot(box, data, lane, place);
    plots[lane.path] = plot;
    plot.over.append(layer);
    const head = element('div', { class: 'playhead' });
    plot.over.append(head);
    plot.over.addEventListener('click', (event) => seek(Math.max(0, Math.min(data.durationSeconds, plot.posToVal(event.offsetX, 'x')))));
    heads.push({ plot, head });
  }

  let pending: Promise<void> = Promise.resolve();
  const apply = (): Promise<void> => {
    sideButtons.forEach((button, i) => button.classList.toggle('on', (['a', 'b'] as const)[i] === choice.side));
    if (!sides.length) return pending;
    pending = player.setLevels(new Map([[choice.side, 1]])).catch((error: unknown) => showError(error));
    return pending;
  };
  const showError = (error: unknown) => {
    engine.textContent = `playback: ${error instanceof Error ? error.message : String(error)}`;
    engine.classList.add('bad');
  };
  const seek = (seconds: number) => {
    player.seek(seconds);
    update();
  };
  const toggle = async () => {
    if (!sides.length) return;
    if (player.playing) player.pause();
    else await player.play().catch((error: unknown) => showError(error));
    update();
  };
  playButton.addEventListener('click', () => void toggle());
  document.addEventListener('keydown', (event) => {
    if (event.code !== 'Space') return;
    event.preventDefault();
    if (!event.repeat) void toggle();
  });
  const update = () => {
    const position = player.position();
    time.textContent = clock(position);
    playButton.textContent = player.playing ? '❚❚' : '▶';
    for (const { plot, head } of heads) head.style.left = `${plot.valToPos(Math.min(position, data.durationSeconds), 'x')}px`;
  };
  window.addEventListener('resize', () => {
    for (const plot of Object.values(plots)) plot.setSize({ width: plot.root.parentElement!.clientWidth, height: plot.height });
  });
  void apply();
  everyFrame(player, data.durationSeconds, update);
  window.mixdownDiff = { data, player, plots, choice, settled: () => pending };
}

/** One output on the timeline: A's and B's min/max envelopes as bands, on the same time axis. */
function lanePlot(target: HTMLElement, data: DiffPageData, lane: DiffPageLane, draw: (u: uPlot) => void): uPlot {
  const count = (lane.peaks.b ?? lane.peaks.a)?.max.length ?? 0;
  const times = Array.from({ length: count }, (_, i) => (i * data.durationSeconds) / Math.max(1, count));
  const column = (values: readonly number[] | undefined) => (values ? [...values] : times.map(() => null));
  const scale = Math.max(0.05, ...[lane.peaks.a, lane.peaks.b].flatMap((peaks) => (peaks ? [...peaks.max, ...peaks.min.map(Math.abs)] : [])));
  const master = lane.path === 'master.wav';
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  for (const side of ['a', 'b'] as const) {
    series.push({ stroke: SIDE_COLORS[side].stroke, width: 1, points: { show: false } }, { stroke: SIDE_COLORS[side].stroke, width: 1, points: { show: false } });
    bands.push({ series: [series.length - 1, series.length - 2], fill: SIDE_COLORS[side].fill });
  }
  return new uPlot(
    {
      width: Math.max(200, target.clientWidth),
      height: master ? 120 : 60,
      padding: TIME_PADDING,
      legend: { show: false },
      cursor: { x: true, y: false, points: { show: false }, drag: { x: false, y: false } },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: false, range: () => [0, data.durationSeconds] }, y: { range: () => [-scale, scale] } },
      axes: [
        {
          show: master,
          stroke: COLORS.axis,
          grid: { stroke: COLORS.grid, width: 1 },
          ticks: { stroke: COLORS.grid, width: 1, size: 4 },
          font: '11px ui-monospace, SFMono-Regular, Menlo, monospace',
          size: 22,
          values: (_u, splits) => splits.map((seconds) => `${seconds}s`),
        },
        blankAxis,
      ],
      series,
      bands,
      hooks: { draw: [draw] },
    },
    [times, column(lane.peaks.a?.min), column(lane.peaks.a?.max), column(lane.peaks.b?.min), column(lane.peaks.b?.max)] as uPlot.AlignedData,
    target,
  );
}

/** SVG's namespace, as the HTML parser gives it to an <svg> element (no URL written in the page). */
let svgNamespace: string | undefined;
const svg = (tag: string, attributes: Record<string, string | number>, text?: string): SVGElement => {
  if (!svgNamespace) {
    const holder = document.createElement('div');
    holder.innerHTML = '<svg></svg>';
    svgNamespace = holder.firstElementChild!.namespaceURI!;
  }
  const node = document.createElementNS(svgNamespace, tag) as SVGElement;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
};

/** The changed notes of one track in one section: a rectangle per note and side (A outlined, B filled), coloured by kind. */
function pianoRoll(group: DiffPageData['notes'][number], width: number): SVGElement {
  const placed = group.notes.flatMap((change) => (['a', 'b'] as const).flatMap((side) => (change[side] ? [{ change, side, note: change[side]! }] : [])));
  const first = Math.min(...placed.map(({ note }) => note.startTick));
  const last = Math.max(...placed.map(({ note }) => note.startTick + note.lengthTicks));
  const low = Math.min(...placed.map(({ note }) => note.midi)) - 1;
  const high = Math.max(...placed.map(({ note }) => note.midi)) + 1;
  const row = 14;
  const gutter = 44;
  const height = (high - low + 1) * row + 18;
  // A quarter of the changed stretch of context on each side.
  const margin = Math.max(1, last - first) / 4;
  const span = last - first + 2 * margin;
  const x = (tick: number) => gutter + ((tick - first + margin) / span) * (width - gutter - 8);
  const y = (midi: number) => (high - midi) * row;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'piano-roll', 'data-notes': placed.length });
  for (let midi = low; midi <= high; midi++) {
    const black = [1, 3, 6, 8, 10].includes(((midi % 12) + 12) % 12);
    root.append(svg('rect', { x: gutter, y: y(midi), width: width - gutter, height: row, fill: black ? '#161a20' : '#1d222b' }));
    if (midi % 12 === 0 || midi === low || midi === high) root.append(svg('text', { x: 2, y: y(midi) + row - 3, fill: COLORS.axis, 'font-size': 10 }, pitchLabel(midi)));
  }
  // Position labels: each note's start where it is.
  for (const tick of [...new Set(placed.map(({ note }) => note.startTick))]) {
    const at = placed.find(({ note }) => note.startTick === tick)!.note;
    root.append(svg('line', { x1: x(tick), x2: x(tick), y1: 0, y2: height - 18, stroke: COLORS.grid }));
    root.append(svg('text', { x: x(tick) + 2, y: height - 5, fill: COLORS.axis, 'font-size': 10 }, at.start));
  }
  for (const { change, side, note } of placed) {
    const color = KIND_COLORS[change.kind];
    const rect = svg('rect', {
      class: `note ${change.kind} side-${side}`,
      'data-kind': change.kind,
      'data-side': side,
      'data-midi': note.midi,
      'data-start-tick': note.startTick,
      'data-length-ticks': note.lengthTicks,
      x: x(note.startTick),
      y: y(note.midi) + 2,
      width: Math.max(3, x(note.startTick + note.lengthTicks) - x(note.startTick) - 1),
      height: row - 4,
      rx: 2,
      fill: side === 'b' ? color : 'none',
      'fill-opacity': side === 'b' ? 0.85 : 0,
      stroke: color,
      'stroke-width': 1.5,
      ...(side === 'a' && change.b ? { 'stroke-dasharray': '4 2' } : {}),
    });
    rect.append(svg('title', {}, `${side.toUpperCase()}: ${change.kind} ${note.pitch} at ${note.start}, ${note.lengthTicks} ticks, velocity ${note.velocity}${change.detail ? ` (${change.detail})` : ''}`));
    root.append(rect);
  }
  return root;
}

const NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
function pitchLabel(midi: number): string {
  return `${NAMES[((midi % 12) + 12) % 12]}${Math.floor(midi / 12) - 1}`;
}
