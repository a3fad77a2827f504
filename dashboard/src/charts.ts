/** Charts drawn with uPlot: a series per model over time buckets, or stacked bars by day. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';
import { type Drawn, isolatedIndexes, type SeriesSet, stack } from './series.js';

/** Colours that keep 3:1 contrast against the white plot area, one per model in turn. */
const PALETTE = ['#1f5fbf', '#c2410c', '#047857', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d'];

export function colour(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#1f5fbf';
}

export interface ChartOptions {
  readonly title: string;
  /** Formats a value on the axis and in the legend. */
  readonly format: (value: number) => string;
  /** Stacked bars (cost by day) instead of lines. @default false */
  readonly stacked?: boolean;
}

/**
 * A chart in a `<figure>` that keeps its uPlot across refreshes: new data with the same labels is
 * drawn in place; other labels rebuild it.
 */
export class Chart {
  readonly element: HTMLElement;
  private readonly plotArea: HTMLElement;
  private readonly empty: HTMLElement;
  private plot: uPlot | undefined;
  private labels = '';
  private span: readonly [number, number] | undefined;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(private readonly options: ChartOptions) {
    this.plotArea = h('div', { class: 'plot' });
    this.empty = h('p', { class: 'empty', hidden: true }, 'No calls in this window.');
    this.element = h(
      'figure',
      { class: 'chart' },
      h('figcaption', {}, options.title),
      this.empty,
      this.plotArea,
    );
    this.resize.observe(this.plotArea);
  }

  /**
   * Draws `set`; `span` is the time the chart covers, unix seconds, so that a window with one
   * bucket of calls still reads as that window.
   */
  update(set: SeriesSet, span?: readonly [from: number, to: number]): void {
    this.span = span;
    const hasData = set.times.length > 0 && set.series.length > 0;
    this.empty.hidden = hasData;
    this.plotArea.hidden = !hasData;
    if (!hasData) {
      this.destroyPlot();
      return;
    }
    const drawn = this.options.stacked
      ? stack(set.series)
      : set.series.map((s, index) => ({ ...s, own: s.values, index }));
    const labels = drawn.map((s) => s.label).join('\u0000');
    const aligned = [set.times, ...drawn.map((s) => s.values)] as uPlot.AlignedData;
    if (this.plot && labels === this.labels) {
      this.plot.setData(aligned);
      return;
    }
    this.destroyPlot();
    this.labels = labels;
    this.plot = new uPlot(this.plotOptions(drawn), aligned, this.plotArea);
  }

  destroy(): void {
    this.resize.disconnect();
    this.destroyPlot();
  }

  private destroyPlot(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.labels = '';
  }

  private fit(): void {
    if (this.plot && this.plotArea.clientWidth > 0) {
      this.plot.setSize({ width: this.plotArea.clientWidth, height: this.plot.height });
    }
  }

  private plotOptions(drawn: readonly Drawn[]): uPlot.Options {
    const { format, stacked } = this.options;
    const bars = uPlot.paths.bars?.({ size: [0.7, 48] });
    return {
      width: Math.max(this.plotArea.clientWidth, 320),
      height: 220,
      scales: {
        x: { time: true, range: (_u, min, max) => (this.span ? [this.span[0], this.span[1]] : [min, max]) },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 70 }],
      series: [
        {},
        ...drawn.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: colour(s.index),
            width: 2,
            // A stacked bar shows the model's own value in the legend, not the running total.
            value: (_u, v, _si, index) => {
              const own = index === null ? v : s.own[index];
              return own === null || own === undefined ? '–' : format(own);
            },
            ...(stacked
              ? { fill: colour(s.index), paths: bars, points: { show: false } }
              : {
                  spanGaps: false,
                  // Where uPlot leaves points out (a dense window), a value alone is still drawn.
                  points: {
                    filter: (u: uPlot, seriesIdx: number, show: boolean) => {
                      if (show) return null;
                      const alone = isolatedIndexes(u.data[seriesIdx] ?? []);
                      return alone.length ? alone : null;
                    },
                  },
                }),
          }),
        ),
      ],
    };
  }
}
