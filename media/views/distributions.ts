/**
 * Distributions over the run, like TensorBoard's: for each parameter, the spread of its entries' values and of
 * their gradients at every progress report of the run (the host records them, also while the panel is closed), as nested percentile bands (0–100, 7–93, 16–84, 31–69) around
 * the median. One chart pair for the focused parameter (click a node of the graph, or the buttons here).
 */
import { PARAM_NAMES, type ParamName } from '../../src/core/network';
import { PERCENTILES, fmtTick } from '../../src/panel/format';
import { SPREAD_COLUMNS, SPREAD_SAMPLE } from '../../src/panel/history';
import type { View } from '../context';
import { byId, cssVar, el } from '../dom';

/** One parameter's value or gradient spreads: a column of percentiles (format.ts PERCENTILES) per recorded step. */
interface Series {
  steps: number[];
  q: Float64Array[];
}

export class Distributions {
  constructor(private readonly v: View) {}

  /** The focused parameter's columns, from the spreads the host recorded (panel/history.ts SPREAD_WIDTH layout). */
  private series(p: ParamName, kind: 'value' | 'grad'): Series {
    const d = this.v.state.spreads;
    const P = PERCENTILES.length;
    const at = (2 * PARAM_NAMES.indexOf(p) + (kind === 'grad' ? 1 : 0)) * P;
    const steps: number[] = [];
    const q: Float64Array[] = [];
    d.q.forEach((col, i) => {
      const c = col.subarray(at, at + P);
      if (c.some(Number.isFinite)) {
        steps.push(d.step[i]);
        q.push(c);
      }
    });
    return { steps, q };
  }

  section(): HTMLElement {
    const pick = el(
      'div',
      { class: 'dist-pick', role: 'group', 'aria-label': 'Parameter shown' },
      ...PARAM_NAMES.map((p) => {
        const b = el('button', {
          type: 'button',
          class: 'small',
          id: `dist-${p}`,
          text: p,
          'aria-pressed': String(this.v.ui.focus === p),
        });
        b.addEventListener('click', () => this.v.focusParam(p));
        return b;
      }),
    );
    return el(
      'section',
      { class: 'distributions', 'aria-label': 'Distributions of values and gradients over the run' },
      el('h2', {}, 'Distributions over the run ', pick),
      el(
        'div',
        { class: 'dist-charts' },
        el(
          'figure',
          {},
          el('figcaption', { id: 'dist-cap-value' }),
          el('canvas', { id: 'dist-value', width: 420, height: 140, role: 'img' }),
        ),
        el(
          'figure',
          {},
          el('figcaption', { id: 'dist-cap-grad' }),
          el('canvas', { id: 'dist-grad', width: 420, height: 140, role: 'img' }),
        ),
      ),
      el('p', {
        class: 'small',
        text: `Bands: the range of the entries (outermost), then the 7–93, 16–84 and 31–69 percentiles; the line is the median. x: a column per progress report (backpropLens.panel.updatesPerSecond, 10 a second by default; at most ${SPREAD_COLUMNS} columns, every other one dropped when full), recorded also while the panel is closed; a parameter with more than ${SPREAD_SAMPLE.toLocaleString('en-US')} entries is summarized by ${SPREAD_SAMPLE.toLocaleString('en-US')} evenly spaced ones.`,
      }),
    );
  }

  draw(): void {
    const focus: ParamName = this.v.ui.focus;
    for (const p of PARAM_NAMES) byId(`dist-${p}`)?.setAttribute('aria-pressed', String(p === focus));
    for (const kind of ['value', 'grad'] as const) {
      const c = byId<HTMLCanvasElement>(`dist-${kind}`);
      const cap = byId(`dist-cap-${kind}`);
      if (!c || !cap) continue;
      const s = this.series(focus, kind);
      const name = kind === 'value' ? focus : `d${focus}`;
      const k = s.steps.length;
      cap.textContent = this.v.state.restored
        ? `${name}: recorded while a run is live (this one is shown from its stored checkpoint)`
        : k < 2
          ? `${name}: a column per progress report of the run (${k} so far); they draw from the second on`
          : `${name}: ${k} columns, steps ${s.steps[0]}–${s.steps[k - 1]}`;
      c.setAttribute('aria-label', `Distribution of ${name} over the run`);
      paint(c, s);
    }
  }
}

function paint(c: HTMLCanvasElement, s: Series): void {
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, c.width, c.height);
  if (s.steps.length < 2) return;
  let lo = Infinity,
    hi = -Infinity;
  for (const q of s.q) {
    if (Number.isFinite(q[0])) lo = Math.min(lo, q[0]);
    if (Number.isFinite(q[8])) hi = Math.max(hi, q[8]);
  }
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const left = 52,
    W = c.width - left - 4,
    H = c.height - 16;
  const X = (i: number) => left + (i / (s.steps.length - 1)) * W;
  const Y = (y: number) => 4 + (1 - (y - lo) / (hi - lo)) * (H - 4);
  const colour = cssVar('--vscode-charts-blue', '#3794ff');
  ctx.fillStyle = colour;
  // Nested bands, outermost first, each a little more opaque.
  for (let b = 0; b < 4; b++) {
    ctx.globalAlpha = 0.15 + 0.12 * b;
    ctx.beginPath();
    s.q.forEach((q, i) => (i ? ctx.lineTo(X(i), Y(q[8 - b])) : ctx.moveTo(X(i), Y(q[8 - b]))));
    for (let i = s.q.length - 1; i >= 0; i--) ctx.lineTo(X(i), Y(s.q[i][b]));
    ctx.closePath();
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  s.q.forEach((q, i) => (i ? ctx.lineTo(X(i), Y(q[4])) : ctx.moveTo(X(i), Y(q[4]))));
  ctx.stroke();
  // Axis labels: the value range and the step range.
  ctx.fillStyle = cssVar('--vscode-foreground', '#ccc');
  ctx.font = `10px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  ctx.fillText(fmtTick(hi), left - 4, 2);
  ctx.textBaseline = 'bottom';
  ctx.fillText(fmtTick(lo), left - 4, H);
  ctx.textBaseline = 'alphabetic';
  ctx.textAlign = 'left';
  ctx.fillText(`step ${s.steps[0]}`, left, c.height - 2);
  ctx.textAlign = 'right';
  ctx.fillText(`step ${s.steps[s.steps.length - 1]}`, c.width - 4, c.height - 2);
}
