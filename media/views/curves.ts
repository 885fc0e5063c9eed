/**
 * Training curves (uPlot): loss, accuracy, misclassified count and the gradient norm per epoch, with readable
 * ticks (scientific where needed), live values in the legends (the newest epoch unless the cursor points at
 * another), one cursor synced across the charts, optional smoothing (an exponential moving average, the raw
 * curve kept faint) and a log scale. Log axes plot log10 of the values on a linear scale with decade ticks, so a
 * range of 1e-5 never reads as "0" and "1".
 */
import uPlot from 'uplot';
import { fmtTick, smooth } from '../../src/panel/format';
import type { View } from '../context';
import { byId, cssVar, el, widthOf } from '../dom';
import type { Curves as Series } from '../state';

type Line = [label: string, values: number[], color: string];
interface Chart {
  title: string;
  lines: Line[];
  log: boolean;
}

export class Curves {
  private charts: uPlot[] | null = null;
  /** The theme, the log scale, the smoothing or the width changed: build the charts again. */
  stale = false;

  constructor(private readonly v: View) {}

  /** The layout was rebuilt: the old charts' elements are gone. */
  detach(): void {
    this.charts = null;
  }

  private spec(): Chart[] {
    const c: Series = this.v.state.curves;
    return [
      {
        title: 'loss',
        lines: [
          ['train', c.trainLoss, '--vscode-charts-blue'],
          ['test', c.testLoss, '--vscode-charts-orange'],
        ],
        log: this.v.ui.logScale,
      },
      {
        title: 'accuracy',
        lines: [
          ['train', c.trainAcc, '--vscode-charts-blue'],
          ['test', c.testAcc, '--vscode-charts-orange'],
        ],
        log: false,
      },
      {
        title: 'misclassified training rows',
        lines: [['train', c.misclassified, '--vscode-charts-red']],
        log: false,
      },
      { title: '‖gradient‖ (log)', lines: [['last step', c.gradNorm, '--vscode-charts-purple']], log: true },
    ];
  }

  /** x, then per line the smoothed values and (when smoothing) the raw ones; log charts in log10. */
  private data(ch: Chart): uPlot.AlignedData {
    const w = this.v.ui.smoothing ?? 0;
    const tf = (s: number[]) =>
      s.map((x) => (Number.isFinite(x) && (!ch.log || x > 0) ? (ch.log ? Math.log10(x) : x) : null));
    const cols: Array<Array<number | null>> = [];
    for (const [, s] of ch.lines) {
      cols.push(tf(smooth(s, w)));
      if (w > 0) cols.push(tf(s));
    }
    return [this.v.state.curves.epoch, ...cols] as uPlot.AlignedData;
  }

  draw(): void {
    const host = byId('curves');
    if (!host || !this.v.state.run) return;
    const note = byId('curves-note');
    if (note)
      note.textContent = this.v.state.curves.epoch.length
        ? ''
        : 'The curves start when the first epoch ends (a point per epoch: the loss and accuracy over all the rows).';
    const charts = this.spec();
    if (this.charts && !this.stale && this.charts.length === charts.length) {
      this.charts.forEach((u, k) => {
        u.setData(this.data(charts[k]));
        if (u.cursor.idx == null) newestInLegend(u); // the newest values, not "—"
      });
      return;
    }
    this.charts?.forEach((u) => u.destroy());
    host.replaceChildren();
    const width = Math.max(260, Math.floor(widthOf(host) / 2) - 12);
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)');
    const smoothing = (this.v.ui.smoothing ?? 0) > 0;
    this.charts = charts.map((ch) => {
      const box = el('div', { class: 'chart' });
      host.append(box);
      const value = (_u: uPlot, x: number | null) => (x == null ? '—' : fmtTick(ch.log ? 10 ** x : x));
      const series: uPlot.Series[] = [{ label: 'epoch', value: (_u, x) => (x == null ? '—' : String(x)) }];
      for (const [label, , color] of ch.lines) {
        const stroke = cssVar(color, '#3794ff');
        series.push({
          label: smoothing ? `${label} (smoothed)` : label,
          stroke,
          width: 1.75,
          spanGaps: false,
          value,
        });
        if (smoothing)
          series.push({
            label: `${label} (raw)`,
            stroke,
            alpha: 0.3,
            width: 1,
            spanGaps: false,
            value,
            show: true,
          });
      }
      const u = new uPlot(
        {
          title: ch.title,
          width,
          height: 170,
          legend: { show: true, live: true },
          // The legend shows the newest values whenever the cursor is not on a chart: once drawn, and each time the
          // cursor leaves (uPlot would show "—" then; a legend set before the first draw is overwritten by it).
          hooks: {
            ready: [newestInLegend],
            setCursor: [
              (c) => {
                if (c.cursor.idx == null) queueMicrotask(() => newestInLegend(c));
              },
            ],
          },
          cursor: { drag: { x: false, y: false }, sync: { key: 'backprop-lens-curves' } },
          scales: { x: { time: false } },
          axes: [
            {
              stroke: fg,
              grid: { stroke: grid, width: 1 },
              ticks: { stroke: grid },
              label: 'epoch',
              values: (_u, splits) => splits.map((x) => fmtTick(x)),
            },
            {
              stroke: fg,
              grid: { stroke: grid, width: 1 },
              ticks: { stroke: grid },
              size: 64,
              space: 24,
              // Log axes: decade steps (and finer within a decade), labelled with the values, not their logarithms.
              ...(ch.log ? { incrs: [0.1, 0.2, 0.5, 1, 2, 3, 5, 10] } : {}),
              values: (_u, splits) => splits.map((x) => fmtTick(ch.log ? 10 ** x : x)),
            },
          ],
          series,
        },
        this.data(ch),
        box,
      );
      newestInLegend(u);
      return u;
    });
    this.stale = false;
  }
}

/** The legend at the newest epoch's values (when there is one). */
function newestInLegend(u: uPlot): void {
  const last = u.data[0].length - 1;
  if (last >= 0) u.setLegend({ idx: last });
}
