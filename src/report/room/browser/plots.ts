/**
 * The room's plots, all uPlot: waveforms as a band between each bucket's min and max,
 * loudness lines, the octave spectrum as bars. One library for every plot: small (~50 kB),
 * no dependencies, fast with thousands of points, and plain arrays in — the build's peaks go
 * in as they are, nothing is decoded or resampled in the browser.
 */
import uPlot from 'uplot';
import type { RoomData, RoomPeaks } from '../types.ts';

export const COLORS = {
  wave: '#5fb3d9',
  waveFill: 'rgba(95, 179, 217, 0.55)',
  bus: '#c792ea',
  busFill: 'rgba(199, 146, 234, 0.45)',
  grid: 'rgba(255, 255, 255, 0.07)',
  axis: '#8b93a1',
  marker: '#f2c14e',
  momentary: 'rgba(127, 219, 160, 0.65)',
  shortTerm: '#2fbf71',
  integrated: '#ffffff',
  target: 'rgba(242, 193, 78, 0.16)',
  over: '#ff5c5c',
  reference: '#f28e5c',
};

/** The time of each peak bucket's start. */
export function bucketTimes(data: RoomData, peaks: RoomPeaks): number[] {
  const count = peaks.max.length;
  return Array.from({ length: count }, (_, i) => (Math.floor((i * data.lengthSamples) / count) / data.sampleRate));
}

/** The bar number at a time (1-based), from the ruler. */
export function barAt(data: RoomData, seconds: number): number {
  let bar = 1;
  for (const entry of data.bars) if (entry.seconds <= seconds + 1e-9) bar = entry.bar;
  return bar;
}

/** An x axis that ticks at bar starts (every 1, 2, 4… bars, whatever fits) and labels them with bar numbers. */
function barAxis(data: RoomData, show: boolean): uPlot.Axis {
  return {
    show,
    stroke: COLORS.axis,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1, size: 4 },
    font: '11px ui-monospace, SFMono-Regular, Menlo, monospace',
    size: 22,
    splits: (u) => {
      const width = u.bbox.width / devicePixelRatio;
      const every = [1, 2, 4, 8, 16, 32, 64].find((step) => (width / Math.max(1, data.bars.length)) * step >= 34) ?? 128;
      return data.bars.filter((entry) => (entry.bar - 1) % every === 0).map((entry) => entry.seconds);
    },
    values: (_u, splits) => splits.map((seconds) => String(barAt(data, seconds))),
  };
}

/** Top, right, bottom, left padding of every time plot (fixed, so their time axes line up whatever their axes show). */
export const TIME_PADDING: uPlot.Padding = [6, 14, 0, 0];

/** Every time plot keeps the same left gutter as the loudness plot's level axis, so their time axes line up. */
export const Y_AXIS_SIZE = 44;

export const blankAxis: uPlot.Axis = { show: true, size: Y_AXIS_SIZE, grid: { show: false }, ticks: { show: false }, values: (_u, splits) => splits.map(() => '') };

interface WaveOptions {
  readonly height: number;
  readonly color: string;
  readonly fill: string;
  readonly ruler: boolean;
  /** The level at the top of the plot (1 = full scale). */
  readonly scale: number;
  /** Drawn on the canvas after the series (section lines…). */
  readonly draw?: (u: uPlot) => void;
}

export function waveformPlot(target: HTMLElement, data: RoomData, peaks: RoomPeaks, options: WaveOptions): uPlot {
  const times = bucketTimes(data, peaks);
  const plot = new uPlot(
    {
      width: Math.max(200, target.clientWidth),
      height: options.height,
      padding: TIME_PADDING,
      legend: { show: false },
      cursor: { x: true, y: false, points: { show: false }, drag: { x: false, y: false } },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: false, range: () => [0, data.durationSeconds] }, y: { range: () => [-options.scale, options.scale] } },
      axes: [barAxis(data, options.ruler), blankAxis],
      series: [
        {},
        { stroke: options.color, width: 1, points: { show: false } },
        { stroke: options.color, width: 1, points: { show: false } },
      ],
      bands: [{ series: [2, 1], fill: options.fill }],
      hooks: { draw: options.draw ? [options.draw] : [] },
    },
    [times, [...peaks.min], [...peaks.max]],
    target,
  );
  return plot;
}

export function loudnessPlot(target: HTMLElement, data: RoomData): uPlot {
  const { loudness } = data;
  const momentaryShift = Math.round(0.4 / loudness.step);
  const shortShift = Math.round(3 / loudness.step);
  const count = Math.max(loudness.momentary.length + momentaryShift, Math.ceil(data.durationSeconds / loudness.step) + 1);
  const x = Array.from({ length: count }, (_, i) => Math.round(i * loudness.step * 1000) / 1000);
  const shifted = (values: readonly (number | null)[], shift: number) => x.map((_, i) => (i >= shift ? (values[i - shift] ?? null) : null));
  const integrated = x.map(() => loudness.integrated);
  const finite = [...loudness.momentary, ...loudness.shortTerm].filter((value): value is number => value !== null);
  const low = Math.min(-40, ...(loudness.target ? [loudness.target.integrated - 12] : []), ...(finite.length ? [Math.min(...finite) - 3] : []));
  const bottom = Math.max(-70, Math.floor(low / 6) * 6);
  return new uPlot(
    {
      width: Math.max(200, target.clientWidth),
      height: 170,
      padding: TIME_PADDING,
      legend: { show: false },
      cursor: { x: true, y: false, points: { show: false }, drag: { x: false, y: false } },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: false, range: () => [0, data.durationSeconds] }, y: { range: () => [bottom, 0] } },
      axes: [
        barAxis(data, true),
        {
          stroke: COLORS.axis,
          grid: { stroke: COLORS.grid, width: 1 },
          ticks: { stroke: COLORS.grid, width: 1, size: 4 },
          font: '11px ui-monospace, SFMono-Regular, Menlo, monospace',
          size: Y_AXIS_SIZE,
          values: (_u, splits) => splits.map((value) => `${value}`),
        },
      ],
      series: [
        {},
        { label: 'momentary', stroke: COLORS.momentary, width: 1, points: { show: false } },
        { label: 'short-term', stroke: COLORS.shortTerm, width: 2, points: { show: false } },
        { label: 'integrated', stroke: COLORS.integrated, width: 1, dash: [6, 4], points: { show: false } },
      ],
      hooks: {
        drawClear: [
          (u) => {
            // The target band: target ± tolerance.
            const target = loudness.target;
            if (!target) return;
            const top = u.valToPos(target.integrated + target.tolerance, 'y', true);
            const bottomPx = u.valToPos(target.integrated - target.tolerance, 'y', true);
            u.ctx.save();
            u.ctx.fillStyle = COLORS.target;
            u.ctx.fillRect(u.bbox.left, top, u.bbox.width, Math.max(1, bottomPx - top));
            u.ctx.restore();
          },
        ],
        draw: [
          (u) => {
            // True-peak overs: a red tick along the top for each 100 ms stretch over the ceiling.
            u.ctx.save();
            u.ctx.fillStyle = COLORS.over;
            for (const over of loudness.overs) {
              const left = u.valToPos(over.seconds, 'x', true);
              const right = u.valToPos(over.seconds + loudness.step, 'x', true);
              u.ctx.fillRect(left, u.bbox.top, Math.max(2, right - left), 8 * devicePixelRatio);
            }
            u.ctx.restore();
          },
        ],
      },
    },
    [x, shifted(loudness.momentary, momentaryShift), shifted(loudness.shortTerm, shortShift), integrated],
    target,
  );
}

export function spectrumPlot(target: HTMLElement, data: RoomData): uPlot {
  const { spectrum } = data;
  const x = spectrum.hz.map((_, i) => i);
  const values = [...spectrum.master, ...(spectrum.reference ?? [])].filter((value): value is number => value !== null);
  const bottom = Math.floor(Math.min(-30, ...values) / 10) * 10;
  const label = (hz: number) => (hz >= 1000 ? `${hz / 1000}k` : `${hz}`);
  const bars = uPlot.paths.bars!;
  const series: uPlot.Series[] = [
    {},
    { label: 'master', stroke: COLORS.wave, fill: COLORS.waveFill, width: 1, paths: bars({ size: [0.4, 40], align: spectrum.reference ? -1 : 0 }), points: { show: false }, fillTo: bottom },
  ];
  const columns: (number | null)[][] = [[...spectrum.master]];
  if (spectrum.reference) {
    series.push({ label: 'reference', stroke: COLORS.reference, fill: 'rgba(242, 142, 92, 0.45)', width: 1, paths: bars({ size: [0.4, 40], align: 1 }), points: { show: false }, fillTo: bottom });
    columns.push([...spectrum.reference]);
  }
  return new uPlot(
    {
      width: Math.max(200, target.clientWidth),
      height: 170,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: () => [-0.6, x.length - 0.4] }, y: { range: () => [bottom, 0] } },
      axes: [
        {
          stroke: COLORS.axis,
          grid: { show: false },
          ticks: { stroke: COLORS.grid, width: 1, size: 4 },
          font: '11px ui-monospace, SFMono-Regular, Menlo, monospace',
          size: 22,
          splits: () => x,
          values: (_u, splits) => splits.map((i) => label(spectrum.hz[i])),
        },
        {
          stroke: COLORS.axis,
          grid: { stroke: COLORS.grid, width: 1 },
          ticks: { stroke: COLORS.grid, width: 1, size: 4 },
          font: '11px ui-monospace, SFMono-Regular, Menlo, monospace',
          size: 44,
        },
      ],
      series,
    },
    [x, ...columns] as uPlot.AlignedData,
    target,
  );
}
