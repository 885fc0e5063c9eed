/** A parameter's norms (‖W‖, ‖dW‖, ‖ΔW‖/‖W‖) with a sparkline each over the run. */
import { cssVar, el } from '../dom';

/** A norm with its value and a sparkline over the run, built once and updated in place. */
export class NormItem {
  readonly root: HTMLElement;
  private readonly value = el('span', { class: 'v' });
  private readonly canvas: HTMLCanvasElement;

  constructor(
    label: string,
    private readonly guide?: number,
  ) {
    this.canvas = el('canvas', {
      width: 140,
      height: 28,
      class: 'spark',
      role: 'img',
      'aria-label': `${label} over the run`,
    });
    this.root = el(
      'div',
      { class: 'norm' },
      el('span', { class: 'k', text: label }),
      this.value,
      this.canvas,
      guide ? el('span', { class: 'guide', text: 'guide 1e-3' }) : null,
    );
  }

  update(value: string, series: number[], mood = ''): void {
    if (this.value.textContent !== value) this.value.textContent = value;
    const cls = `norm ${mood}`;
    if (this.root.className !== cls) this.root.className = cls;
    sparkline(this.canvas, series, this.guide);
  }
}

function sparkline(c: HTMLCanvasElement, s: number[], guide?: number): void {
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, c.width, c.height);
  const tf = guide ? Math.log10 : (x: number) => x;
  const vals = s.filter((x) => Number.isFinite(x) && (!guide || x > 0)).map(tf);
  if (vals.length < 2) return;
  let lo = Math.min(...vals),
    hi = Math.max(...vals);
  if (guide) {
    lo = Math.min(lo, tf(guide) - 0.5);
    hi = Math.max(hi, tf(guide) + 0.5);
  }
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const y = (x: number) => c.height - 2 - ((tf(x) - lo) / (hi - lo)) * (c.height - 4);
  if (guide) {
    ctx.strokeStyle = cssVar('--vscode-charts-yellow', '#cca700');
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(0, y(guide));
    ctx.lineTo(c.width, y(guide));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.strokeStyle = cssVar('--vscode-charts-blue', '#3794ff');
  ctx.beginPath();
  const dx = c.width / Math.max(1, s.length - 1);
  let started = false;
  s.forEach((x, i) => {
    if (!Number.isFinite(x) || (guide && x <= 0)) return;
    if (!started) {
      ctx.moveTo(i * dx, y(x));
      started = true;
    } else ctx.lineTo(i * dx, y(x));
  });
  ctx.stroke();
}
