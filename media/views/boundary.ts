/** The decision boundary: ŷ over a plane of the input space (the principal plane, or two features) with the data points. */
import { type Palette, fmtAxis, niceTicks } from '../../src/panel/format';
import type { Boundary, PlotPoints } from '../../src/protocol';
import type { View } from '../context';
import { byId, cssVar, el, isolate } from '../dom';
import { paintCells } from '../paint';

/** The G×G grid, one pixel per cell, drawn scaled onto the visible canvas. */
const grid = document.createElement('canvas');

export function boundarySection(): HTMLElement {
  return el(
    'div',
    { class: 'plot-col' },
    el('h2', { text: 'Decision boundary' }),
    el('div', { id: 'plane' }),
    el('canvas', {
      id: 'boundary',
      width: 320,
      height: 320,
      role: 'img',
      'aria-label': 'Predicted probability over the feature plane with the data points',
    }),
    el('div', {
      id: 'class-legend',
      class: 'class-legend',
      role: 'list',
      'aria-label': 'Classes and their colours',
    }),
    el('div', { id: 'boundary-legend', class: 'legend-text' }),
    el('div', { id: 'tiles-wrap' }),
  );
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
    grid = el('div', {
      id: 'tiles',
      class: 'tiles',
      role: 'group',
      'aria-label': "Each hidden unit's activation over the input plane",
    });
    for (let u = 0; u < h; u++) {
      grid.append(
        el(
          'figure',
          { class: 'tile' },
          el('canvas', {
            id: `tile-${u}`,
            class: 'tile-map',
            role: 'img',
            'aria-label': `hidden unit ${u}: a1[${u}] over the plane`,
          }),
          el('figcaption', { text: `a1[${u}]` }),
        ),
      );
    }
    host.replaceChildren(
      el('h3', { text: 'Hidden units over the input plane' }),
      grid,
      el('p', {
        class: 'small',
        text: `Each tile: one unit's ${run.activation} activation a1[u] = g(W1[u,:]·x + b1[u]) over the same plane as the boundary; the output combines them with W2.`,
      }),
    );
  }
  const palette = v.palette();
  const n = b.G * b.G;
  for (let u = 0; u < h; u++) {
    const a = b.units.subarray(u * n, (u + 1) * n);
    // Centre and scale by what g can give: σ ∈ (0, 1) around ½, tanh ∈ (−1, 1) around 0, ReLU from 0 to the tile's largest value.
    const [centre, scale] =
      run.activation === 'sigmoid'
        ? [0.5, 0.5]
        : run.activation === 'tanh'
          ? [0, 1]
          : [0, Math.max(1e-12, ...a)];
    paintCells(byId<HTMLCanvasElement>(`tile-${u}`)!, a, b.G, b.G, scale, palette, 56, 56, centre);
  }
}

/** The plane chooser (beyond two features): the principal plane, or two features with the others at their mean. */
function planeControls(v: View, host: HTMLElement, b: Boundary | null): void {
  const run = v.state.run!;
  if (host.childElementCount > 0 || run.n <= 2) return;
  const mode = el(
    'select',
    { id: 'plane-mode', 'aria-label': 'Plane of the decision boundary' },
    el('option', { value: 'pca', text: 'PCA: PC1 × PC2' }),
    el('option', { value: 'features', text: 'two features, others at their mean' }),
  );
  mode.value = b?.mode ?? 'pca';
  const sel = (id: string, value: number) => {
    const s = el('select', {
      id,
      'aria-label': id === 'plane-i' ? 'Horizontal feature' : 'Vertical feature',
    });
    run.features.forEach((f, k) => s.append(el('option', { value: k, text: isolate(f), title: f })));
    s.value = String(value);
    return s;
  };
  const si = sel('plane-i', b?.mode === 'features' ? b.i : 0),
    sj = sel('plane-j', b?.mode === 'features' ? b.j : 1);
  const features = el('span', { id: 'plane-features' }, si, ' × ', sj);
  const apply = () => {
    features.hidden = mode.value !== 'features';
    const i = Number(si.value),
      j = Number(sj.value);
    if (mode.value === 'pca') v.post({ type: 'setBoundary', plane: { mode: 'pca' } });
    else if (i !== j) v.post({ type: 'setBoundary', plane: { mode: 'features', i, j } });
  };
  for (const s of [mode, si, sj]) s.addEventListener('change', apply);
  features.hidden = mode.value !== 'features';
  host.append(el('label', { class: 'small' }, 'plane ', mode), ' ', features);
}

export function drawBoundary(v: View): void {
  const c = byId<HTMLCanvasElement>('boundary');
  const plane = byId('plane');
  const { run, boundary: b, points } = v.state;
  if (!c || !plane || !run) return;
  const ctx = c.getContext('2d')!;
  planeControls(v, plane, b);
  const legend = byId('boundary-legend')!;
  if (!b) {
    ctx.clearRect(0, 0, c.width, c.height);
    legend.textContent =
      run.n < 2
        ? 'A decision boundary needs at least two features.'
        : run.live
          ? 'Waiting for the first report…'
          : 'The boundary shows while the run is live.';
    return;
  }
  const palette: Palette = v.palette();
  // One pixel per grid cell, scaled onto the canvas in one drawImage (no per-pixel work in script): ŷ − 0.5 on the
  // diverging scale for the binary network; with K classes, each cell in the colour of its most probable class, the
  // stronger the surer.
  if (b.pk && run.K > 1) paintClasses(grid, b.pk, run.K, b.G, palette.zero);
  else paintCells(grid, b.p, b.G, b.G, 0.5, palette, b.G, b.G, 0.5);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.drawImage(grid, 0, 0, c.width, c.height);
  if (points) ctx.drawImage(pointsLayer(c, points, b, palette, run.K), 0, 0);
  drawTicks(ctx, c, b);
  drawTiles(v);
  const wrong = b.correct.reduce((acc, x) => acc + (x ? 0 : 1), 0);
  const marks = `filled dots: training points, rings: test points, coloured by their class (above); ${wrong === 0 ? 'the network gets every plotted point right now.' : `a cross marks the ${wrong} point${wrong === 1 ? '' : 's'} the network gets wrong now.`}`;
  drawClassLegend(run, palette);
  if (b.mode === 'pca') {
    const [e1, e2] = b.explained ?? [0, 0];
    legend.replaceChildren(
      `ŷ over the plane of the first two principal components of the training inputs, through their mean (PC1 → ${(100 * e1).toFixed(0)}% of the variance, PC2 ↑ ${(100 * e2).toFixed(0)}%); ${marks}`,
    );
  } else {
    const name = (k: number) =>
      el('bdi', { class: 'name', title: run.features[k] ?? '', text: run.features[k] ?? `feature ${k}` });
    const caveat =
      run.n > 2
        ? ` With ${run.n} features this is a slice through the training mean: a point far from the slice can sit on the other colour and still be classified correctly (see the crosses).`
        : '';
    legend.replaceChildren('ŷ over ', name(b.i), ' (→) × ', name(b.j), ` (↑); ${marks}${caveat}`);
  }
}

/** Round ticks on each axis, on the canvas's edges (numbers only, never a user's text); none in the corner both share. */
function drawTicks(ctx: CanvasRenderingContext2D, c: HTMLCanvasElement, b: Boundary): void {
  ctx.save();
  ctx.font = `10px ${cssVar('--vscode-editor-font-family', 'monospace')}`;
  const fg = cssVar('--vscode-editor-foreground', '#ddd'),
    bg = cssVar('--vscode-editor-background', '#1e1e1e');
  const put = (text: string, px: number, py: number, align: CanvasTextAlign, base: CanvasTextBaseline) => {
    ctx.textAlign = align;
    ctx.textBaseline = base;
    ctx.lineWidth = 3;
    ctx.strokeStyle = bg;
    ctx.strokeText(text, px, py);
    ctx.fillStyle = fg;
    ctx.fillText(text, px, py);
  };
  // y along the left edge, leaving the bottom 16 px to the x labels.
  const ys = niceTicks(b.y0, b.y1);
  const yStep = ys.length > 1 ? ys[1] - ys[0] : 1;
  for (const t of ys) {
    const py = c.height - ((t - b.y0) / (b.y1 - b.y0)) * c.height;
    if (py > c.height - 16 || py < 6) continue;
    put(fmtAxis(t, yStep), 2, py, 'left', 'middle');
  }
  // x along the bottom edge, within the canvas.
  const xs = niceTicks(b.x0, b.x1);
  const xStep = xs.length > 1 ? xs[1] - xs[0] : 1;
  for (const t of xs) {
    const px = ((t - b.x0) / (b.x1 - b.x0)) * c.width;
    const label = fmtAxis(t, xStep);
    const w = ctx.measureText(label).width;
    if (px - w / 2 < 2 || px + w / 2 > c.width - 2) continue;
    put(label, px, c.height - 2, 'center', 'bottom');
  }
  ctx.restore();
}

/** The data points, drawn onto their own layer when the plane, size, theme or correctness changes (1,500 arcs are too many for every frame). */
let layer: { canvas: HTMLCanvasElement; key: string; points: PlotPoints | null } = {
  canvas: document.createElement('canvas'),
  key: '',
  points: null,
};

function pointsLayer(
  c: HTMLCanvasElement,
  points: PlotPoints,
  b: Boundary,
  palette: Palette,
  K: number,
): HTMLCanvasElement {
  const edge = cssVar('--vscode-editor-foreground', '#ddd');
  let wrongSum = 0;
  for (let q = 0; q < b.correct.length; q++) if (!b.correct[q]) wrongSum += q + 1;
  const key = [
    c.width,
    c.height,
    b.mode,
    b.i,
    b.j,
    b.x0,
    b.x1,
    b.y0,
    b.y1,
    palette.positive,
    palette.negative,
    palette.invalid,
    edge,
    wrongSum,
    K,
  ].join();
  if (layer.key === key && layer.points === points) return layer.canvas;
  const out = layer.canvas;
  out.width = c.width;
  out.height = c.height;
  const ctx = out.getContext('2d')!;
  ctx.clearRect(0, 0, out.width, out.height);
  const X = (x: number) => ((x - b.x0) / (b.x1 - b.x0)) * c.width;
  const Y = (y: number) => ((b.y1 - y) / (b.y1 - b.y0)) * c.height;
  const [ix, iy] =
    b.mode === 'pca' && b.px
      ? [(q: number) => b.px![2 * q], (q: number) => b.px![2 * q + 1]]
      : [(q: number) => points.x[q * points.n + b.i], (q: number) => points.x[q * points.n + b.j]];
  const [Ri, Gi, Bi] = palette.invalid;
  for (let q = 0; q < points.k; q++) {
    const px = X(ix(q)),
      py = Y(iy(q));
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
    const [R, G, B] = K > 1 ? classColour(points.y[q], K) : points.y[q] ? palette.positive : palette.negative;
    const test = points.test[q] === 1;
    // A point on the region of its own class must still show: every mark has an outline in the foreground colour.
    ctx.beginPath();
    ctx.arc(px, py, test ? 4.5 : 3.5, 0, 2 * Math.PI);
    if (test) {
      ctx.strokeStyle = edge;
      ctx.lineWidth = 4;
      ctx.stroke(); // the ring's outline, under it
      ctx.strokeStyle = `rgb(${R},${G},${B})`;
      ctx.lineWidth = 2;
      ctx.stroke();
    } else {
      ctx.fillStyle = `rgb(${R},${G},${B})`;
      ctx.fill();
      ctx.strokeStyle = edge;
      ctx.lineWidth = 1.2;
      ctx.stroke();
    }
    if (!b.correct[q]) {
      ctx.beginPath();
      ctx.moveTo(px - 4, py - 4);
      ctx.lineTo(px + 4, py + 4);
      ctx.moveTo(px + 4, py - 4);
      ctx.lineTo(px - 4, py + 4);
      ctx.strokeStyle = `rgb(${Ri},${Gi},${Bi})`;
      ctx.lineWidth = 2;
      ctx.stroke();
    }
  }
  layer = { canvas: out, key, points };
  return out;
}

/**
 * Class colours: the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies) for up to 8
 * classes, then evenly spaced hues.
 */
const OKABE_ITO: ReadonlyArray<[number, number, number]> = [
  [230, 159, 0],
  [86, 180, 233],
  [0, 158, 115],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
  [204, 121, 167],
  [120, 120, 120],
];

/** Tableau 10: ten qualitative colours that stay apart (9 or 10 classes: the digits). */
const TABLEAU_10: ReadonlyArray<[number, number, number]> = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
];

/** Class k's colour among K: Okabe–Ito (colour-blind safe) up to 8 classes, Tableau 10 up to 10, then a hue wheel. */
export function classColour(k: number, K: number): [number, number, number] {
  if (K <= OKABE_ITO.length) return OKABE_ITO[k % OKABE_ITO.length];
  if (K <= TABLEAU_10.length) return TABLEAU_10[k];
  const h = (k / K) * 6,
    x = 1 - Math.abs((h % 2) - 1);
  const [r, g, b] =
    h < 1
      ? [1, x, 0]
      : h < 2
        ? [x, 1, 0]
        : h < 3
          ? [0, 1, x]
          : h < 4
            ? [0, x, 1]
            : h < 5
              ? [x, 0, 1]
              : [1, 0, x];
  return [Math.round(40 + 200 * r), Math.round(40 + 200 * g), Math.round(40 + 200 * b)];
}

const classImages = new WeakMap<HTMLCanvasElement, ImageData>();

/** Each cell in its most probable class's colour, blended into the background by how sure (from 1/K to 1). */
function paintClasses(
  c: HTMLCanvasElement,
  pk: Float64Array,
  K: number,
  G: number,
  zero: readonly number[],
): void {
  if (c.width !== G || c.height !== G) {
    c.width = G;
    c.height = G;
  }
  const ctx = c.getContext('2d')!;
  let img = classImages.get(c);
  if (!img || img.width !== G) classImages.set(c, (img = ctx.createImageData(G, G)));
  const GG = G * G;
  for (let q = 0; q < GG; q++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (pk[k * GG + q] > pk[best * GG + q]) best = k;
    const sure = Math.max(0, Math.min(1, (pk[best * GG + q] - 1 / K) / (1 - 1 / K)));
    const col = classColour(best, K),
      t = 0.25 + 0.6 * sure;
    for (let ch = 0; ch < 3; ch++) img.data[4 * q + ch] = Math.round(zero[ch] + (col[ch] - zero[ch]) * t);
    img.data[4 * q + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** The classes' colours with their names (text, isolated), under the boundary. */
function drawClassLegend(run: { K: number; classes: string[] }, palette: Palette): void {
  const host = byId('class-legend');
  if (!host) return;
  // The binary network: class 0 in the theme's negative colour, class 1 in its positive colour.
  const colour = (k: number) =>
    run.K > 1 ? classColour(k, run.K) : k === 1 ? palette.positive : palette.negative;
  const key = `${run.K}:${run.classes.join('\u0000')}:${colour(0).join()}:${colour(1).join()}`;
  if (host.dataset.key === key) return;
  host.dataset.key = key;
  host.replaceChildren(
    ...run.classes.map((name, k) => {
      const [r, g, b] = colour(k);
      const sw = el('span', { class: 'swatch' });
      sw.style.background = `rgb(${r},${g},${b})`;
      return el('span', { class: 'class-item' }, sw, el('bdi', { class: 'name', title: name, text: name }));
    }),
  );
}
