/**
 * The listening room in the browser: builds a page from the data embedded in it (room.json)
 * — the index of songs, or a song's page with its waveforms, lanes, loudness, spectrum,
 * numbers and player. Under `mixdown watch --serve` it listens for rebuilt masters and
 * reloads, keeping the playhead and the A/B choice.
 */
import type uPlot from 'uplot';
import type { DiffPageData, RoomData, RoomIndexEntry, RoomLane } from '../types.ts';
import { createPlayer, everyFrame, type Player, type Source } from './player.ts';
import { barAt, COLORS, loudnessPlot, spectrumPlot, waveformPlot } from './plots.ts';
import { diffPage } from './diff.ts';
import { clock, element } from './dom.ts';

/** What a listener chose: kept across a live reload. */
interface Choice {
  /** Index into data.variants of the master heard. */
  variant: number;
  /** Hearing the reference (loudness-matched) instead of the master. */
  reference: boolean;
  solo: string[];
  mute: string[];
}

interface Saved extends Choice {
  position: number;
  playing: boolean;
}

/** The handle tests and the console use: the data, the player, the plots, the choice. */
interface RoomHandle {
  readonly data: RoomData;
  readonly player: Player;
  readonly plots: { master: uPlot; lanes: Record<string, uPlot>; loudness: uPlot; spectrum: uPlot };
  readonly choice: Choice;
  /** Source ids audible now, with their gains. */
  levels(): Record<string, number>;
  /** Resolves when the last change of sources has taken effect (buffers decoded, sources started). */
  settled(): Promise<void>;
}

declare global {
  interface Window {
    mixdownRoom?: RoomHandle;
  }
}

const db = (value: number | null, unit: string) => (value === null ? '—' : `${value.toFixed(1)} ${unit}`);

function start(): void {
  const root = document.getElementById('room')!;
  const data = JSON.parse(document.getElementById('room-data')!.textContent!) as unknown;
  root.textContent = '';
  if (root.dataset.page === 'index') indexPage(root, data as RoomIndexEntry[]);
  else if (root.dataset.page === 'diff') diffPage(root, data as DiffPageData);
  else songPage(root, data as RoomData);
}

function indexPage(root: HTMLElement, entries: readonly RoomIndexEntry[]): void {
  root.append(element('header', { class: 'top' }, element('h1', {}, 'Listening room'), element('span', { class: 'dim' }, `${entries.length} pages`)));
  const table = element('table', { class: 'numbers index' });
  table.append(element('tr', {}, ...['song', 'variant', 'length', 'integrated', 'true peak', 'target'].map((name) => element('th', {}, name))));
  for (const entry of entries) {
    table.append(
      element(
        'tr',
        {},
        element('td', {}, element('a', { href: entry.href }, entry.title), element('span', { class: 'dim' }, ` ${entry.song}`)),
        element('td', {}, entry.variant ?? 'as written'),
        element('td', { class: 'num' }, clock(entry.durationSeconds)),
        element('td', { class: 'num' }, db(entry.integrated, 'LUFS')),
        element('td', { class: 'num' }, db(entry.truePeakDb, 'dBTP')),
        entry.target === null
          ? element('td', { class: 'dim' }, 'no target')
          : element('td', { class: entry.meetsTarget ? 'ok' : 'bad' }, `${entry.meetsTarget ? 'met' : 'missed'} `, element('span', { class: 'dim' }, `${entry.target} LUFS`)),
      ),
    );
  }
  root.append(element('section', { class: 'panel' }, table));
}

function songPage(root: HTMLElement, data: RoomData): void {
  const storageKey = `mixdown-room:${location.pathname}`;
  const selfIndex = Math.max(0, data.variants.findIndex((variant) => variant.href === './'));
  const sources: Source[] = [
    ...(data.variants.length ? data.variants : [{ name: data.variant, href: './', audio: data.master.audio }]).map((variant, i) => ({ id: `variant:${i}`, url: variant.audio })),
    ...data.lanes.map((lane) => ({ id: `lane:${lane.id}`, url: lane.audio })),
    ...(data.reference ? [{ id: 'reference', url: data.reference.audio }] : []),
  ];
  const player = createPlayer(sources);
  const choice: Choice = { variant: selfIndex, reference: false, solo: [], mute: [] };
  let restored: Saved | undefined;
  try {
    restored = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') ?? undefined;
    sessionStorage.removeItem(storageKey);
  } catch {
    restored = undefined;
  }
  if (restored) Object.assign(choice, { variant: Math.min(restored.variant, sources.length - 1), reference: restored.reference, solo: restored.solo, mute: restored.mute });

  // ── Header: title, variants (A/B), transport, reference, meter.
  const title = element('h1', {}, data.title, element('span', { class: 'dim' }, data.variant ? ` · ${data.variant}` : ''));
  const home = element('a', { href: `${'../'.repeat(data.variant ? 2 : 1)}index.html`, class: 'dim' }, 'all songs');
  const playButton = element('button', { class: 'play', title: 'play / pause (space)' }, '▶');
  const time = element('span', { class: 'time num' }, '');
  const variantBar = element('div', { class: 'group', role: 'group', 'aria-label': 'variant' });
  const variantButtons = (data.variants.length ? data.variants : [{ name: data.variant, href: './', audio: data.master.audio }]).map((variant, i) => {
    const button = element('button', { class: 'variant', 'data-variant': variant.name ?? '', title: 'hear this variant at the same position' }, variant.name ?? 'as written');
    button.addEventListener('click', () => {
      choice.variant = i;
      choice.reference = false;
      void apply();
    });
    variantBar.append(button);
    return button;
  });
  const referenceButton = element('button', { class: 'reference', title: data.reference ? `${data.reference.file}, ${data.reference.matchDb >= 0 ? '+' : ''}${data.reference.matchDb.toFixed(1)} dB to match the master's loudness` : 'the song names no reference track' }, 'reference');
  if (!data.reference) referenceButton.disabled = true;
  referenceButton.addEventListener('click', () => {
    choice.reference = !choice.reference;
    void apply();
  });
  const meterFill = element('div', { class: 'meter-fill' });
  const meterText = element('span', { class: 'meter-text num' }, '');
  const meter = element('div', { class: 'meter', title: 'output level (peak, dBFS)' }, meterFill);
  const engine = element(
    'span',
    { class: 'dim engine', title: 'Browsers allow neither fetch nor Web Audio on local files: this page plays through <audio> elements, kept together loosely. Serve dist/ (mixdown watch --serve, or any static server) for sample-locked Web Audio playback.' },
    player.engine === 'webaudio' ? '' : 'file:// · <audio> playback, loose sync',
  );
  // <audio> elements give no samples to measure: no meter then.
  meter.hidden = player.engine === 'media';
  meterText.hidden = player.engine === 'media';
  root.append(
    element('header', { class: 'top' }, title, home),
    element('div', { class: 'transport' }, playButton, time, variantBar, referenceButton, meter, meterText, engine),
  );

  // ── Master waveform, section markers, bar ruler.
  const drawSections = (u: uPlot) => {
    u.ctx.save();
    u.ctx.strokeStyle = COLORS.marker;
    u.ctx.lineWidth = devicePixelRatio;
    for (const marker of data.markers) {
      const x = Math.round(u.valToPos(marker.seconds, 'x', true)) + 0.5;
      u.ctx.beginPath();
      u.ctx.moveTo(x, u.bbox.top);
      u.ctx.lineTo(x, u.bbox.top + u.bbox.height);
      u.ctx.stroke();
    }
    u.ctx.restore();
  };
  const masterBox = element('div', { class: 'plot master-plot' });
  const masterPanel = element(
    'section',
    { class: 'panel' },
    element(
      'div',
      { class: 'timed' },
      element(
        'div',
        { class: 'side-label' },
        element('h2', {}, 'Master'),
        element('div', { class: 'dim' }, data.master.audio),
        element('div', { class: 'dim' }, `${data.sampleRate / 1000} kHz · ${clock(data.durationSeconds)} · ${data.bars.length - 1} bars`),
        element('div', { class: 'dim' }, `${data.markers.length} sections — click one, or the waveform, to seek`),
      ),
      masterBox,
    ),
  );
  root.append(masterPanel);

  // ── Lanes.
  const lanesPanel = element('section', { class: 'panel lanes' }, element('h2', {}, 'Stems and buses', element('span', { class: 'dim' }, ' each drawn to its own peak; solo/mute play the rendered files in sync (before mastering)')));
  root.append(lanesPanel);
  const laneRows = data.lanes.map((lane) => laneRow(lane));
  lanesPanel.append(...laneRows.map((row) => row.row));

  // ── Loudness and spectrum, numbers.
  const loudnessBox = element('div', { class: 'plot' });
  const spectrumBox = element('div', { class: 'plot' });
  const legend = (items: [string, string][]) => element('div', { class: 'legend' }, ...items.map(([color, text]) => element('span', {}, element('i', { style: `background:${color}` }), text)));
  const loudnessLegend: [string, string][] = [
    [COLORS.momentary, 'momentary'],
    [COLORS.shortTerm, 'short-term'],
    [COLORS.integrated, `integrated ${db(data.loudness.integrated, 'LUFS')}`],
  ];
  if (data.loudness.target) loudnessLegend.push([COLORS.marker, `target ${data.loudness.target.integrated} ± ${data.loudness.target.tolerance} LU`]);
  loudnessLegend.push([COLORS.over, `${data.loudness.overs.length} true-peak overs > ${data.loudness.ceilingDb} dBTP`]);
  const spectrumLegend: [string, string][] = [[COLORS.wave, 'master']];
  if (data.spectrum.reference) spectrumLegend.push([COLORS.reference, 'reference']);
  root.append(
    element(
      'section',
      { class: 'panel' },
      element('div', { class: 'timed' }, element('div', { class: 'side-label' }, element('h2', {}, 'Loudness'), element('div', { class: 'dim' }, 'LUFS, EBU R128 / BS.1770'), legend(loudnessLegend)), loudnessBox),
    ),
    element(
      'div',
      { class: 'row' },
      element('section', { class: 'panel side' }, element('h2', {}, 'Octave balance', element('span', { class: 'dim' }, ' mid signal, dB re total')), spectrumBox, legend(spectrumLegend)),
      element('section', { class: 'panel grow' }, element('h2', {}, 'Numbers', element('span', { class: 'dim' }, ' from report.json')), numbersTable(data)),
    ),
  );

  const masterPlot = waveformPlot(masterBox, data, data.master.peaks, { height: 150, color: COLORS.wave, fill: COLORS.waveFill, ruler: true, scale: 1, draw: drawSections });
  const lanePlots: Record<string, uPlot> = {};
  for (const { lane, box } of laneRows) {
    const bus = lane.kind === 'bus';
    lanePlots[lane.id] = waveformPlot(box, data, lane.peaks, { height: 44, color: bus ? COLORS.bus : COLORS.wave, fill: bus ? COLORS.busFill : COLORS.waveFill, ruler: false, scale: laneScale(lane), draw: drawSections });
  }
  const loudness = loudnessPlot(loudnessBox, data);
  const spectrum = spectrumPlot(spectrumBox, data);
  const timePlots = [masterPlot, ...Object.values(lanePlots), loudness];

  // Section markers: buttons over the master waveform.
  const markerLayer = element('div', { class: 'markers' });
  masterPlot.over.append(markerLayer);
  const placeMarkers = () => {
    markerLayer.textContent = '';
    for (const marker of data.markers) {
      const button = element('button', { class: 'marker', 'data-seconds': String(marker.seconds), title: `${marker.name}: bar ${marker.bar}, ${clock(marker.seconds)}` }, marker.name);
      button.style.left = `${masterPlot.valToPos(marker.seconds, 'x')}px`;
      button.addEventListener('click', (event) => {
        event.stopPropagation();
        seek(marker.seconds);
      });
      markerLayer.append(button);
    }
  };
  placeMarkers();

  // Playheads and click-to-seek on every time plot.
  const playheads = timePlots.map((plot) => {
    const head = element('div', { class: 'playhead' });
    plot.over.append(head);
    plot.over.addEventListener('click', (event) => seek(Math.max(0, Math.min(data.durationSeconds, plot.posToVal(event.offsetX, 'x')))));
    return { plot, head };
  });

  let pending: Promise<void> = Promise.resolve();
  const levels = (): Map<string, number> => {
    if (choice.reference && data.reference) return new Map([['reference', Math.pow(10, data.reference.matchDb / 20)]]);
    if (choice.variant === selfIndex && (choice.solo.length || choice.mute.length)) {
      const audible = choice.solo.length ? data.lanes.filter((lane) => choice.solo.includes(lane.id)) : data.lanes.filter((lane) => lane.output === 'master');
      return new Map(audible.filter((lane) => !choice.mute.includes(lane.id)).map((lane) => [`lane:${lane.id}`, 1]));
    }
    return new Map([[`variant:${choice.variant}`, 1]]);
  };
  const apply = (): Promise<void> => {
    const heard = levels();
    // A variant's button is lit only while its master is what plays (not a solo, not the reference).
    variantButtons.forEach((button, i) => button.classList.toggle('on', heard.has(`variant:${i}`)));
    referenceButton.classList.toggle('on', choice.reference);
    for (const { lane, solo, mute, row } of laneRows) {
      solo.classList.toggle('on', choice.solo.includes(lane.id));
      mute.classList.toggle('on', choice.mute.includes(lane.id));
      row.classList.toggle('heard', heard.has(`lane:${lane.id}`));
    }
    pending = player.setLevels(heard).catch((error: unknown) => showError(error));
    return pending;
  };
  const seek = (seconds: number) => {
    player.seek(seconds);
    update();
  };
  const toggle = async () => {
    if (player.playing) player.pause();
    else await player.play().catch((error: unknown) => showError(error));
    update();
  };
  const showError = (error: unknown) => {
    engine.textContent = `playback: ${error instanceof Error ? error.message : String(error)}`;
    engine.classList.add('bad');
  };
  playButton.addEventListener('click', () => void toggle());
  document.addEventListener('keydown', (event) => {
    if (event.code !== 'Space' || (event.target instanceof HTMLInputElement)) return;
    event.preventDefault();
    if (!event.repeat) void toggle();
  });
  document.addEventListener('keyup', (event) => {
    if (event.code === 'Space') event.preventDefault();
  });

  function laneRow(lane: RoomLane) {
    const solo = element('button', { class: 'solo', title: `solo ${lane.id}` }, 'S');
    const mute = element('button', { class: 'mute', title: lane.output === 'master' ? `mute ${lane.id}` : `${lane.id} feeds bus ${lane.output}: its sound stays in that bus; muting it takes it out of a solo` }, 'M');
    const flip = (list: string[]) => {
      const at = list.indexOf(lane.id);
      if (at >= 0) list.splice(at, 1);
      else list.push(lane.id);
      choice.variant = selfIndex;
      choice.reference = false;
      void apply();
    };
    solo.addEventListener('click', () => flip(choice.solo));
    mute.addEventListener('click', () => flip(choice.mute));
    const box = element('div', { class: 'plot lane-plot' });
    const label = element(
      'div',
      { class: 'lane-label' },
      element('span', { class: `kind ${lane.kind}` }, lane.kind === 'bus' ? 'BUS' : 'TRK'),
      element(
        'span',
        { class: 'lane-name', title: `${lane.kind === 'bus' ? 'bus' : 'track'} ${lane.id} → ${lane.output} (${lane.audio})` },
        lane.id,
        element('span', { class: 'dim' }, lane.output === 'master' ? '' : ` → ${lane.output}`),
      ),
      element('span', { class: 'lane-peak num dim' }, db(lane.peakDb, 'dB')),
      solo,
      mute,
    );
    const row = element('div', { class: 'lane', 'data-lane': lane.id }, label, box);
    return { lane, row, box, solo, mute };
  }

  const update = () => {
    const position = player.position();
    time.textContent = `bar ${barAt(data, position)}  ${clock(position)}`;
    playButton.textContent = player.playing ? '❚❚' : '▶';
    for (const { plot, head } of playheads) head.style.left = `${plot.valToPos(Math.min(position, data.durationSeconds), 'x')}px`;
    const level = player.meter();
    const peak = level ? level.peakDb : -Infinity;
    meterFill.style.width = `${Math.max(0, Math.min(100, ((peak + 60) / 60) * 100))}%`;
    meterFill.classList.toggle('hot', peak > -1);
    meterText.textContent = level ? (Number.isFinite(peak) ? `${peak.toFixed(1)} dB` : '−∞ dB') : '';
  };

  window.addEventListener('resize', () => {
    for (const plot of timePlots) plot.setSize({ width: plot.root.parentElement!.clientWidth, height: plot.height });
    spectrum.setSize({ width: spectrumBox.clientWidth, height: spectrum.height });
    placeMarkers();
  });

  // Live reload under `mixdown watch --serve`: keep the playhead and the A/B choice.
  const live = document.querySelector<HTMLMetaElement>('meta[name="mixdown-live"]')?.content;
  if (live) {
    const events = new EventSource(live);
    events.addEventListener('master', (event) => {
      const rebuilt = JSON.parse((event as MessageEvent<string>).data) as { song: string };
      if (rebuilt.song !== data.song) return;
      const saved: Saved = { ...choice, position: player.position(), playing: player.playing };
      sessionStorage.setItem(storageKey, JSON.stringify(saved));
      location.reload();
    });
  }

  if (restored) player.seek(restored.position);
  void apply().then(async () => {
    if (restored?.playing) await player.play().catch(() => {});
  });
  everyFrame(player, data.durationSeconds, update);
  window.mixdownRoom = {
    data,
    player,
    plots: { master: masterPlot, lanes: lanePlots, loudness, spectrum },
    choice,
    levels: () => Object.fromEntries(levels()),
    settled: () => pending,
  };
}

/** A lane is drawn to its own peak (at least −26 dBFS full height, so near-silence stays flat). */
function laneScale(lane: RoomLane): number {
  const peak = Math.max(...lane.peaks.max.map(Math.abs), ...lane.peaks.min.map(Math.abs));
  return Math.max(0.05, peak);
}

function numbersTable(data: RoomData): HTMLTableElement {
  const { numbers } = data;
  const target = numbers.target;
  const rows: [string, string, string][] = [
    ['Integrated', db(numbers.integrated, 'LUFS'), target ? `target ${target.integrated} ± ${target.tolerance}` : 'no target'],
    ['Loudness range', db(numbers.range, 'LU'), 'EBU Tech 3342'],
    ['True peak', db(numbers.truePeakDb, 'dBTP'), target ? `ceiling ${target.ceilingDb} dBTP` : ''],
    ['PLR', db(numbers.plr, 'LU'), 'true peak − integrated'],
    ['Momentary max', db(numbers.momentaryMax, 'LUFS'), '400 ms'],
    ['Short-term max', db(numbers.shortTermMax, 'LUFS'), '3 s'],
    ['Sample peak', db(numbers.peakDb, 'dBFS'), ''],
  ];
  if (data.reference) rows.push(['Reference', db(data.reference.integrated, 'LUFS'), `${data.reference.file}, played ${data.reference.matchDb >= 0 ? '+' : ''}${data.reference.matchDb.toFixed(1)} dB`]);
  const table = element('table', { class: 'numbers' });
  for (const [name, value, note] of rows) table.append(element('tr', { 'data-name': name }, element('th', {}, name), element('td', { class: 'num' }, value), element('td', { class: 'dim' }, note)));
  table.append(
    element(
      'tr',
      { 'data-name': 'Target met' },
      element('th', {}, 'Target met'),
      element('td', { class: numbers.meetsTarget ? 'ok' : 'bad' }, numbers.meetsTarget ? 'yes' : 'no'),
      element('td', { class: 'dim' }, target ? 'within tolerance and under the ceiling' : 'no target: nothing to miss'),
    ),
  );
  return table;
}

start();
