/** The decision boundary: ŷ over the plane of two features (the others at their training mean) with the data points. */
import type { Palette } from '../../src/panel/format';
import type { PlotPoints } from '../../src/protocol';
import type { View } from '../context';
import { byId, cssVar, el, isolate } from '../dom';
import { paintCells } from '../paint';

/** The G×G grid, one pixel per cell, drawn scaled onto the visible canvas. */
const grid = document.createElement('canvas');

export function boundarySection(): HTMLElement {
  return el('div', { class: 'plot-col' },
    el('h2', { text: 'Decision boundary' }),
    el('div', { id: 'plane' }),
    el('canvas', { id: 'boundary', width: 320, height: 320, role: 'img', 'aria-label': 'Predicted probability over the feature plane with the data points' }),
    el('div', { id: 'boundary-legend', class: 'legend-text' }),
    el('div', { id: 'tiles-wrap' }));
}

/** Neuron tiles (two-feature data), as in TensorFlow Playground: each hidden unit's activation over the input plane. */
function drawTiles(v: View): void {
  const host = byId('tiles-wrap');
  const { run, boundary: b } = v.state;
  if (!host || !run) return;
  if (!b?.units) {
    if (host.firstChild) host.replaceChildren();
    return;
  }
  const h = b.units.length / (b.G * b.G);
  let grid = byId('tiles');
  if (!grid || grid.childElementCount !== h) {
    grid = el('div', { id: 'tiles', class: 'tiles', role: 'group', 'aria-label': 'Each hidden unit\'s activation over the input plane' });
    for (let u = 0; u < h; u++) {
      grid.append(el('figure', { class: 'tile' },
        el('canvas', { id: `tile-${u}`, class: 'tile-map', role: 'img', 'aria-label': `hidden unit ${u}: a1[${u}] over the plane` }),
        el('figcaption', { text: `a1[${u}]` })));
    }
    host.replaceChildren(el('h3', { text: 'Hidden units over the input plane' }), grid,
      el('p', { class: 'small', text: `Each tile: one unit's ${run.activation} activation a1[u] = g(W1[u,:]·x + b1[u]) over the same plane as the boundary; the output combines them with W2.` }));
  }
  const palette = v.palette();
  const n = b.G * b.G;
  for (let u = 0; u < h; u++) {
    const a = b.units.subarray(u * n, (u + 1) * n);
    // Centre and scale by what g can give: σ ∈ (0, 1) around ½, tanh ∈ (−1, 1) around 0, ReLU from 0 to the tile's largest value.
    const [centre, scale] = run.activation === 'sigmoid' ? [0.5, 0.5] : run.activation === 'tanh' ? [0, 1] : [0, Math.max(1e-12, ...a)];
    paintCells(byId<HTMLCanvasElement>(`tile-${u}`)!, a, b.G, b.G, scale, palette, 56, 56, centre);
  }
}

export function drawBoundary(v: View): void {
  const c = byId<HTMLCanvasElement>('boundary');
  const plane = byId('plane');
  const { run, boundary: b, points } = v.state;
  if (!c || !plane || !run) return;
  const ctx = c.getContext('2d')!;
  if (plane.childElementCount === 0 && run.n > 2) {
    const sel = (id: string, value: number) => {
      const s = el('select', { id, 'aria-label': id === 'plane-i' ? 'Horizontal feature' : 'Vertical feature' });
      run.features.forEach((f, k) => s.append(el('option', { value: k, text: isolate(f), title: f })));
      s.value = String(value);
      s.addEventListener('change', () => {
        const i = Number(byId<HTMLSelectElement>('plane-i')!.value), j = Number(byId<HTMLSelectElement>('plane-j')!.value);
        if (i !== j) v.post({ type: 'setBoundary', i, j });
      });
      return s;
    };
    plane.append(el('span', { class: 'small', text: 'plane: ' }), sel('plane-i', b?.i ?? 0), ' × ', sel('plane-j', b?.j ?? 1), el('span', { class: 'small', text: ' (other features at their mean)' }));
  }
  const legend = byId('boundary-legend')!;
  if (!b) {
    ctx.clearRect(0, 0, c.width, c.height);
    legend.textContent = run.n < 2 ? 'A decision boundary needs at least two features.' : run.live ? 'Waiting for the first report…' : 'The boundary shows while the run is live.';
    return;
  }
  const palette: Palette = v.palette();
  // ŷ − 0.5 per grid cell, one pixel each, scaled onto the canvas in one drawImage (no per-pixel work in script).
  paintCells(grid, b.p, b.G, b.G, 0.5, palette, b.G, b.G, 0.5);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.drawImage(grid, 0, 0, c.width, c.height);
  if (points) ctx.drawImage(pointsLayer(c, points, b, palette), 0, 0);
  drawTiles(v);
  const name = (k: number) => el('bdi', { class: 'name', title: run.features[k] ?? '', text: run.features[k] ?? `feature ${k}` });
  legend.replaceChildren('ŷ over ', name(b.i), ' (→) × ', name(b.j), " (↑); filled dots: training points, rings: test points; colour: class 1 (red) vs 0 (blue) in the theme's chart colours.");
}

/** The data points, drawn once per plane, size and theme onto their own layer (1,500 arcs are too many for every frame). */
let layer: { canvas: HTMLCanvasElement; key: string; points: PlotPoints | null } = { canvas: document.createElement('canvas'), key: '', points: null };

function pointsLayer(c: HTMLCanvasElement, points: PlotPoints, b: { i: number; j: number; x0: number; x1: number; y0: number; y1: number }, palette: Palette): HTMLCanvasElement {
  const edge = cssVar('--vscode-editor-foreground', '#ddd');
  const key = [c.width, c.height, b.i, b.j, b.x0, b.x1, b.y0, b.y1, palette.positive, palette.negative, edge].join();
  if (layer.key === key && layer.points === points) return layer.canvas;
  const out = layer.canvas;
  out.width = c.width;
  out.height = c.height;
  const ctx = out.getContext('2d')!;
  ctx.clearRect(0, 0, out.width, out.height);
  const X = (x: number) => ((x - b.x0) / (b.x1 - b.x0)) * c.width;
  const Y = (y: number) => ((b.y1 - y) / (b.y1 - b.y0)) * c.height;
  for (let q = 0; q < points.k; q++) {
    const px = X(points.x[q * points.n + b.i]), py = Y(points.x[q * points.n + b.j]);
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    const [R, G, B] = points.y[q] ? palette.positive : palette.negative;
    const test = points.test[q] === 1;
    ctx.beginPath();
    ctx.arc(px, py, test ? 4 : 3, 0, 2 * Math.PI);
    ctx.fillStyle = test ? 'rgba(0,0,0,0)' : `rgb(${R},${G},${B})`;
    ctx.strokeStyle = test ? `rgb(${R},${G},${B})` : edge;
    ctx.lineWidth = test ? 2 : 0.7;
    if (!test) ctx.fill();
    ctx.stroke();
  }
  layer = { canvas: out, key, points };
  return out;
}
