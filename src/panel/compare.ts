/**
 * The Compare Runs page: a static page (no script) with both runs' loss and
 * accuracy curves as SVG. Pure (no VS Code): every user-supplied name is
 * escaped; the axes have readable ticks and never a zero-height range.
 */
import type { RunRecord } from '../training/store';

/** The y range of some values, padded when they are all equal (a flat line sits mid-axis, never on a 1.00–1.00 axis). */
export function yRange(ys: number[]): [number, number] {
  let lo = Math.min(...ys),
    hi = Math.max(...ys);
  if (!(hi - lo > 1e-12 * Math.max(1, Math.abs(hi)))) {
    const d = Math.max(0.05 * Math.abs(hi), 0.01);
    lo -= d;
    hi += d;
  }
  return [lo, hi];
}

/** Five evenly spaced ticks from lo to hi. */
export function ticks(lo: number, hi: number): number[] {
  return Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
}

const esc = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Two runs' curves side by side: a static page (no script), so nothing in it can run. */
/** One run on the page: its record and its epoch history. */
export interface ComparedRun {
  record: RunRecord;
  history: Array<{
    epoch: number;
    step?: number;
    train: { loss: number; accuracy: number };
    test: { loss: number; accuracy: number } | null;
  }>;
}

/**
 * The race table (an optimizer race, or any comparison of several runs): per run its optimizer, the first step at
 * which the training loss reached the threshold, the final training and test accuracy, and the time it took.
 */
export function raceTable(runs: ComparedRun[], threshold: number | null): string {
  if (threshold === null) return '';
  const pct = (x: number | undefined) =>
    x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)}%`;
  const rows = runs
    .map(({ record: r, history: h }, k) => {
      const hit = h.find((e) => e.train.loss <= threshold);
      const last = h[h.length - 1];
      const seconds = r.endedAt ? (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000 : NaN;
      return (
        `<tr><th><span class="swatch run${k % 7}"></span>${esc(r.settings.optimizer)}</th><td>${hit ? `${hit.step ?? '—'} (epoch ${hit.epoch})` : 'not reached'}</td>` +
        `<td>${pct(last?.train.accuracy)}</td><td>${pct(last?.test?.accuracy)}</td><td>${Number.isFinite(seconds) ? seconds.toFixed(2) + ' s' : '—'}</td></tr>`
      );
    })
    .join('');
  return `<table class="race"><thead><tr><th>optimizer</th><th>steps to training loss ≤ ${threshold}</th><th>final train accuracy</th><th>final test accuracy</th><th>time</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The racers' shared loss landscape (the CLI's `race --landscape`): loss[j·size + i] at (a[i], b[j]); one path per run. */
export interface SharedLandscape {
  size: number;
  a: number[];
  b: number[];
  loss: number[];
  explained: [number, number];
  paths: number[][];
}

/** The landscape as an inline SVG (the page runs no script): cells coloured by loss (low blue, high red), the paths on it. */
export function landscapeSvg(l: SharedLandscape): string {
  const W = 360,
    cell = W / l.size;
  const finite = l.loss.filter(Number.isFinite);
  const lo = Math.min(...finite),
    hi = Math.max(...finite);
  const a0 = l.a[0],
    a1 = l.a[l.a.length - 1],
    b0 = l.b[0],
    b1 = l.b[l.b.length - 1];
  const X = (a: number) => ((a - a0) / (a1 - a0)) * W;
  const Y = (b: number) => (1 - (b - b0) / (b1 - b0)) * W;
  let cells = '';
  for (let j = 0; j < l.size; j++) {
    for (let i = 0; i < l.size; i++) {
      const v = l.loss[j * l.size + i];
      const t = Number.isFinite(v) && hi > lo ? (v - lo) / (hi - lo) : 1;
      const r = Math.round(55 + 186 * t),
        g = Math.round(148 - 72 * t),
        b = Math.round(255 - 179 * t);
      cells += `<rect x="${(i * cell).toFixed(1)}" y="${((l.size - 1 - j) * cell).toFixed(1)}" width="${(cell + 0.5).toFixed(1)}" height="${(cell + 0.5).toFixed(1)}" fill="rgb(${r},${g},${b})"/>`;
    }
  }
  const paths = l.paths
    .map((p, k) => {
      const pts: string[] = [];
      for (let q = 0; q + 1 < p.length; q += 2) pts.push(`${X(p[q]).toFixed(1)},${Y(p[q + 1]).toFixed(1)}`);
      return `<polyline class="run${k % 7}" fill="none" stroke-width="2.5" points="${pts.join(' ')}"/>`;
    })
    .join('');
  const [e1, e2] = l.explained;
  return (
    `<figure><figcaption>One loss landscape for every racer: the plane through the common initial parameters along the two principal directions of their trajectories (${(100 * e1).toFixed(0)}% and ${(100 * e2).toFixed(0)}% of the variance); blue low, red high (loss ${lo.toPrecision(3)} to ${hi.toPrecision(3)}); each line a racer's path from the centre.</figcaption>` +
    `<svg viewBox="0 0 ${W} ${W}" width="${W}" height="${W}" role="img" aria-label="The racers' paths on one loss landscape">${cells}${paths}</svg></figure>`
  );
}

export function compareHtml(
  cspSource: string,
  css: string,
  runs: ComparedRun[],
  title = 'Compare runs',
  threshold: number | null = null,
  landscape: SharedLandscape | null = null,
): string {
  const chart = (
    title: string,
    pick: (e: (typeof runs)[number]['history'][number]) => number | undefined,
    log: boolean,
  ) => {
    const W = 520,
      H = 220,
      pad = 40;
    const series = runs.map(
      (r) =>
        r.history
          .map((e) => [e.epoch, pick(e)] as [number, number | undefined])
          .filter(([, v]) => v !== undefined && Number.isFinite(v) && (!log || v! > 0)) as Array<
          [number, number]
        >,
    );
    const xs = series.flat().map(([x]) => x),
      ys = series.flat().map(([, y]) => (log ? Math.log10(y) : y));
    if (!xs.length) return `<p>${esc(title)}: no data</p>`;
    const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
    const [y0, y1] = yRange(ys);
    const X = (x: number) => pad + ((x - x0) / (x1 - x0)) * (W - 2 * pad),
      Y = (y: number) => H - pad + ((log ? -(Math.log10(y) - y0) : -(y - y0)) / (y1 - y0)) * (H - 2 * pad);
    const lines = series
      .map(
        (s, k) =>
          `<polyline class="run${k % 7}" fill="none" stroke-width="2" points="${s.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`,
      )
      .join('');
    const fmt = (v: number) => (log ? (10 ** v).toPrecision(2) : v.toPrecision(3));
    return (
      `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
      `<line class="axis" x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}"/><line class="axis" x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}"/>` +
      ticks(y0, y1)
        .map(
          (t) =>
            `<text class="tick" x="${pad - 4}" y="${(H - pad - ((t - y0) / (y1 - y0)) * (H - 2 * pad) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
        )
        .join('') +
      `<text class="tick" x="${W - pad}" y="${H - pad + 16}" text-anchor="end">epoch ${x1}</text>${lines}</svg></figure>`
    );
  };
  const legend = runs
    .map(
      (r, k) =>
        `<li class="run${k % 7}"><span class="swatch run${k % 7}"></span>${esc(r.record.dataset.name)} — ${esc(r.record.settings.optimizer)}, h ${r.record.settings.hidden || 'auto'} ${esc(r.record.settings.activation)}, α ${r.record.settings.lr}, seed ${r.record.seed} (${esc(r.record.status)}, ${new Date(r.record.startedAt).toLocaleString()})</li>`,
    )
    .join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${esc(cspSource)};">
<link rel="stylesheet" href="${esc(css)}"><title>Compare runs</title></head>
<body class="compare"><h2>${esc(title)}</h2><ul class="legend-list">${legend}</ul>${raceTable(runs, threshold)}${landscape ? landscapeSvg(landscape) : ''}
<div class="charts">${chart('training loss (log scale)', (e) => e.train.loss, true)}${chart('test loss (log scale)', (e) => e.test?.loss, true)}${chart('training accuracy', (e) => e.train.accuracy, false)}${chart('test accuracy', (e) => e.test?.accuracy, false)}</div>
</body></html>`;
}
