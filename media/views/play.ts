/**
 * Asking "what if": the learning-rate range test (Smith, 2015/2017) with its suggestion one click away, and the loss
 * landscape around the current parameters — a 1-D slice along the gradient (what the next step sees, the learning
 * rate marked) and a 2-D grid over two directions (filter-normalised random ones, Li et al. 2018, or the principal
 * directions of the run's trajectory) with the trajectory drawn on it. Both are computed in the training worker.
 */
import { contourSegments, fmt, fmtAxis, fmtTick } from '../../src/panel/format';
import { decodeF64 } from '../../src/protocol';
import type { View } from '../context';
import { byId, cssVar, el } from '../dom';
import { paintCells } from '../paint';

export function playSection(v: View): HTMLElement {
  const find = el('button', { type: 'button', id: 'lr-find', text: 'Find a learning rate' });
  find.addEventListener('click', () => {
    v.state.lrFind = { result: v.state.lrFind?.result ?? null, pending: true };
    v.post({ type: 'lrFind' });
    v.dirty('play');
  });
  const dirs = el(
    'select',
    { id: 'landscape-directions', 'aria-label': 'Directions of the 2-D landscape' },
    el('option', { value: 'random', text: 'random directions (filter-normalised)' }),
    el('option', { value: 'trajectory', text: "the trajectory's principal directions" }),
  );
  const go = el('button', { type: 'button', id: 'landscape-go', text: 'Compute the loss landscape' });
  go.addEventListener('click', () => {
    v.state.landscape = { result: v.state.landscape?.result ?? null, pending: true };
    v.post({ type: 'landscape', directions: dirs.value === 'trajectory' ? 'trajectory' : 'random' });
    v.dirty('play');
  });
  return el(
    'section',
    { class: 'play', 'aria-label': 'Learning-rate finder and loss landscape' },
    el('h2', { text: 'What if?' }),
    el(
      'div',
      { class: 'play-cols' },
      el(
        'div',
        { class: 'play-col' },
        el('h3', {}, 'Learning-rate range test ', find),
        el('canvas', {
          id: 'lr-chart',
          width: 420,
          height: 180,
          role: 'img',
          'aria-label': 'Loss against the learning rate (log scale)',
        }),
        el('div', { id: 'lr-text', class: 'small' }),
      ),
      el(
        'div',
        { class: 'play-col' },
        el('h3', {}, 'Loss landscape ', dirs, ' ', go),
        el('canvas', {
          id: 'slice-chart',
          width: 420,
          height: 150,
          role: 'img',
          'aria-label': 'Loss along the negative gradient',
        }),
        el('canvas', {
          id: 'landscape-map',
          width: 240,
          height: 240,
          role: 'img',
          'aria-label': 'Loss over two directions around the current parameters, with the trajectory',
        }),
        el('div', { id: 'landscape-text', class: 'small' }),
      ),
    ),
  );
}

export function drawPlay(v: View): void {
  drawLrFind(v);
  drawLandscape(v);
}

/** A line chart on a canvas: x (optionally log10), one or two series, a marked x. */
function chart(
  c: HTMLCanvasElement,
  x: ArrayLike<number>,
  series: Array<{ y: ArrayLike<number>; colour: string; width: number }>,
  logX: boolean,
  mark: number | null,
  xLabel: string,
): void {
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, c.width, c.height);
  const tx = (t: number) => (logX ? Math.log10(t) : t);
  const xs = Array.from(x, tx);
  const ys = series.flatMap((s) => Array.from(s.y).filter(Number.isFinite));
  if (xs.length < 2 || !ys.length) return;
  const x0 = Math.min(...xs),
    x1 = Math.max(...xs);
  let y0 = Math.min(...ys),
    y1 = Math.max(...ys);
  if (!(y1 > y0)) {
    y0 -= 1;
    y1 += 1;
  }
  const L = 52,
    B = 18,
    W = c.width - L - 6,
    H = c.height - B - 6;
  const X = (t: number) => L + ((tx(t) - x0) / (x1 - x0)) * W;
  const Y = (y: number) => 4 + (1 - (y - y0) / (y1 - y0)) * H;
  const fg = cssVar('--vscode-foreground', '#ccc'),
    grid = cssVar('--vscode-editorWidget-border', '#555');
  ctx.strokeStyle = grid;
  ctx.strokeRect(L, 4, W, H);
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = s.width;
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < xs.length; i++) {
      const y = s.y[i];
      if (!Number.isFinite(y)) {
        started = false;
        continue;
      }
      if (started) ctx.lineTo(X(x[i]), Y(y));
      else {
        ctx.moveTo(X(x[i]), Y(y));
        started = true;
      }
    }
    ctx.stroke();
  }
  if (mark !== null && Number.isFinite(tx(mark))) {
    ctx.strokeStyle = cssVar('--vscode-charts-yellow', '#cca700');
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(X(mark), 4);
    ctx.lineTo(X(mark), 4 + H);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.fillStyle = fg;
  ctx.font = `10px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  // The digits the range needs: a narrow range (the loss along a short step) must not read the same at both ends.
  ctx.fillText(fmtAxis(y1, y1 - y0), L - 4, 4);
  ctx.textBaseline = 'bottom';
  ctx.fillText(fmtAxis(y0, y1 - y0), L - 4, 4 + H);
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  ctx.fillText(fmtTick(logX ? 10 ** x0 : x0), L, c.height - 2);
  ctx.textAlign = 'right';
  ctx.fillText(`${fmtTick(logX ? 10 ** x1 : x1)}  ${xLabel}`, L + W, c.height - 2);
}

function drawLrFind(v: View): void {
  const c = byId<HTMLCanvasElement>('lr-chart'),
    text = byId('lr-text');
  if (!c || !text) return;
  const s = v.state.lrFind;
  c.hidden = !s?.result || s.pending; // no empty box before there is a curve
  if (!s) {
    text.textContent =
      "A short run from the run's initial parameters with the learning rate growing exponentially; the loss against the learning rate shows where learning starts and where it blows up.";
    return;
  }
  if (s.pending) text.textContent = 'Running the range test in the training worker…';
  if (s.error) text.textContent = `The range test failed: ${s.error}`;
  const r = s.result;
  if (!r || s.pending) return;
  const lr = decodeF64(r.lr),
    loss = decodeF64(r.loss),
    smoothed = decodeF64(r.smoothed);
  chart(
    c,
    lr,
    [
      { y: loss, colour: cssVar('--vscode-charts-blue', '#3794ff'), width: 1 },
      { y: smoothed, colour: cssVar('--vscode-charts-orange', '#d18616'), width: 2 },
    ],
    true,
    r.suggested,
    'α (log)',
  );
  const use = el('button', {
    type: 'button',
    id: 'lr-use',
    class: 'secondary',
    text: r.suggested !== null ? `Use α = ${fmt(r.suggested)}` : 'No suggestion',
  });
  use.disabled =
    r.suggested === null ||
    !(v.state.run?.live && (v.state.run.phase === 'running' || v.state.run.phase === 'paused'));
  use.addEventListener('click', () => {
    if (r.suggested !== null) v.post({ type: 'setLearningRate', lr: r.suggested });
  });
  const why =
    {
      completed: 'all steps taken',
      exploded: 'stopped when the smoothed loss exploded',
      diverged: 'stopped at a non-finite loss',
      stopped: 'the optimizer stopped',
    }[r.stop] ?? r.stop;
  text.replaceChildren(
    `Blue: the loss over ${r.rows.toLocaleString('en-US')} training rows before each step; orange: smoothed. Suggested (the dashed line): α = ${r.suggested !== null ? fmt(r.suggested) : '—'}, the steepest descent of the smoothed loss; the minimum's α / 10 = ${r.minimumOverTen !== null ? fmt(r.minimumOverTen) : '—'} (${lr.length} steps, ${why}). `,
    use,
  );
}

function drawLandscape(v: View): void {
  const sc = byId<HTMLCanvasElement>('slice-chart'),
    map = byId<HTMLCanvasElement>('landscape-map'),
    text = byId('landscape-text');
  if (!sc || !map || !text) return;
  const s = v.state.landscape;
  sc.hidden = map.hidden = !s?.result || s.pending; // no empty boxes before there is a landscape
  if (!s) {
    text.textContent =
      "The loss around the current parameters: along the gradient (the next step moves to the dashed line at −α·g), and over a plane of two directions with the run's trajectory.";
    return;
  }
  if (s.pending) text.textContent = 'Computing the landscape in the training worker…';
  if (s.error) text.textContent = `The landscape failed: ${s.error}`;
  const r = s.result;
  if (!r || s.pending) return;
  const parts: string[] = [`At step ${r.step}, over ${r.rows} training rows: J(θ) = ${fmt(r.centreLoss)}.`];
  if (r.slice) {
    const alpha = decodeF64(r.slice.alpha),
      loss = decodeF64(r.slice.loss);
    chart(
      sc,
      alpha,
      [{ y: loss, colour: cssVar('--vscode-charts-blue', '#3794ff'), width: 2 }],
      false,
      r.slice.lr,
      'α along −g',
    );
    parts.push(
      `Along −g: J(θ − α·g) at the learning rate α = ${fmt(r.slice.lr)} is ${fmt(r.slice.lossAtLr)}.`,
    );
  }
  if (r.grid) {
    const g = r.grid,
      loss = decodeF64(g.loss);
    let scale = 0;
    for (const x of loss) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x - r.centreLoss));
    // Rows of the grid run by b upwards: paint top row = largest b.
    const flipped = new Float64Array(loss.length);
    for (let j = 0; j < g.size; j++)
      flipped.set(loss.subarray(j * g.size, (j + 1) * g.size), (g.size - 1 - j) * g.size);
    paintCells(map, flipped, g.size, g.size, scale || 1, v.palette(), 240, 240, r.centreLoss);
    drawTrajectory(map, decodeF64(g.a), decodeF64(g.b), decodeF64(g.trajectory), loss, g.size);
    const dirs =
      g.directions === 'trajectory'
        ? `the trajectory's two principal directions${g.explained ? ` (${(100 * g.explained[0]).toFixed(0)}% and ${(100 * g.explained[1]).toFixed(0)}% of its variance)` : ''}`
        : 'two filter-normalised random directions';
    parts.push(
      `The plane: ${dirs}; blue is lower than J(θ), red higher; the line is the run's path (θ₀ to now, a dot per epoch), the ring is θ now.`,
    );
  }
  text.textContent = parts.join(' ');
}

/** The trajectory [a0, b0, a1, b1, …] on the grid's canvas (the grid's a and b give the extent). */
function drawTrajectory(
  c: HTMLCanvasElement,
  a: Float64Array,
  b: Float64Array,
  path: Float64Array,
  loss: Float64Array,
  size: number,
): void {
  // The map canvas holds one pixel per cell; draw the path on an overlay canvas sized like its box.
  let overlay = byId<HTMLCanvasElement>('landscape-path');
  if (!overlay) {
    overlay = el('canvas', {
      id: 'landscape-path',
      class: 'overlay',
      width: 240,
      height: 240,
      'aria-hidden': 'true',
    });
    c.after(overlay);
  }
  const ctx = overlay.getContext('2d')!;
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  drawContours(ctx, loss, size, overlay.width);
  const a0 = a[0],
    a1 = a[a.length - 1],
    b0 = b[0],
    b1 = b[b.length - 1];
  const X = (x: number) => ((x - a0) / (a1 - a0)) * overlay!.width;
  const Y = (y: number) => (1 - (y - b0) / (b1 - b0)) * overlay!.height;
  ctx.strokeStyle = cssVar('--vscode-editor-foreground', '#fff');
  ctx.fillStyle = ctx.strokeStyle;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let i = 0; i + 1 < path.length; i += 2) {
    if (i) ctx.lineTo(X(path[i]), Y(path[i + 1]));
    else ctx.moveTo(X(path[i]), Y(path[i + 1]));
  }
  ctx.stroke();
  for (let i = 0; i + 1 < path.length; i += 2) ctx.fillRect(X(path[i]) - 1.5, Y(path[i + 1]) - 1.5, 3, 3);
  const n = path.length;
  if (n >= 2) {
    ctx.beginPath();
    ctx.arc(X(path[n - 2]), Y(path[n - 1]), 5, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

function drawContours(ctx: CanvasRenderingContext2D, loss: Float64Array, size: number, W: number): void {
  const finite = Array.from(loss).filter(Number.isFinite);
  if (finite.length < 4) return;
  const lo = Math.min(...finite),
    hi = Math.max(...finite);
  if (!(hi > lo)) return;
  const cell = W / size;
  // Grid point (i, j) is the centre of cell i of row size−1−j on the canvas.
  const X = (i: number) => (i + 0.5) * cell,
    Y = (j: number) => (size - 1 - j + 0.5) * cell;
  ctx.save();
  ctx.strokeStyle = cssVar('--vscode-editor-foreground', '#fff');
  ctx.globalAlpha = 0.45;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let k = 1; k <= 8; k++) {
    const s = contourSegments(loss, size, lo + ((hi - lo) * k) / 9);
    for (let q = 0; q < s.length; q += 4) {
      ctx.moveTo(X(s[q]), Y(s[q + 1]));
      ctx.lineTo(X(s[q + 2]), Y(s[q + 3]));
    }
  }
  ctx.stroke();
  ctx.restore();
}
