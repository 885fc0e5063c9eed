/** Training curves (uPlot): loss, accuracy, misclassified count and the gradient norm per epoch. */
import uPlot from 'uplot';
import type { View } from '../context';
import { byId, cssVar, el } from '../dom';
import type { Curves as Series } from '../state';

type Line = [label: string, values: number[], color: string];

export class Curves {
  private charts: uPlot[] | null = null;
  /** The theme, the log scale or the width changed: build the charts again. */
  stale = false;

  constructor(private readonly v: View) {}

  /** The layout was rebuilt: the old charts' elements are gone. */
  detach(): void {
    this.charts = null;
  }

  draw(): void {
    const { v } = this;
    const host = byId('curves');
    if (!host || !v.state.run) return;
    const c: Series = v.state.curves;
    const data: Array<[title: string, lines: Line[], log: boolean]> = [
      ['loss', [['train', c.trainLoss, '--vscode-charts-blue'], ['test', c.testLoss, '--vscode-charts-orange']], v.ui.logScale],
      ['accuracy', [['train', c.trainAcc, '--vscode-charts-blue'], ['test', c.testAcc, '--vscode-charts-orange']], false],
      ['misclassified', [['train', c.misclassified, '--vscode-charts-red']], false],
      ['‖gradient‖', [['last step', c.gradNorm, '--vscode-charts-purple']], true],
    ];
    const aligned = (lines: Line[], log: boolean) => [c.epoch, ...lines.map(([, s]) => s.map((x) => (Number.isFinite(x) && (!log || x > 0) ? x : null)))] as uPlot.AlignedData;
    if (this.charts && !this.stale && this.charts.length === data.length) {
      this.charts.forEach((chart, k) => chart.setData(aligned(data[k][1], data[k][2])));
      return;
    }
    this.charts?.forEach((chart) => chart.destroy());
    host.replaceChildren();
    const width = Math.max(260, Math.floor(host.clientWidth / 2) - 12);
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-editorWidget-border', '#444');
    this.charts = data.map(([title, lines, log]) => {
      const box = el('div', { class: 'chart' });
      host.append(box);
      return new uPlot({
        title, width, height: 150, legend: { show: true }, cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
        axes: [{ stroke: fg, grid: { stroke: grid, width: 1 }, label: 'epoch' }, { stroke: fg, grid: { stroke: grid, width: 1 }, size: 56 }],
        series: [{ label: 'epoch' }, ...lines.map(([label, , color]) => ({ label, stroke: cssVar(color, '#3794ff'), width: 1.5, spanGaps: false }))],
      }, aligned(lines, log), box);
    });
    this.stale = false;
  }
}
