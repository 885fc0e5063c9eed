/** One card per parameter (W1, b1, W2, b2): heatmaps of value, gradient, applied update (and the true gradient), norms and a numbers table. */
import { PARAM_NAMES, type ParamName } from '../../src/core/network';
import { aggregate, fmt, fmtExact, l2, maxAbs } from '../../src/panel/format';
import type { PanelRun } from '../../src/protocol';
import { type View, blockOf } from '../context';
import { byId, el, hideTip, isolate, tip, widthOf } from '../dom';
import { paintCells } from '../paint';
import { NormItem } from './norms';
import { type MapKind, NumbersTable, columnLabels, rowLabels } from './numbers';

const KINDS: readonly MapKind[] = ['value', 'grad', 'update', 'true'];
const CAPTION: Record<MapKind, (p: ParamName) => string> = {
  value: (p) => p,
  grad: (p) => `d${p}`,
  update: (p) => `Δ${p} applied`,
  true: (p) => `true d${p}`,
};

/** How a painted heatmap maps canvas cells to matrix entries (blocks when the matrix is aggregated). */
interface MapMeta {
  rows: number;
  cols: number;
  blockRows: number;
  blockCols: number;
}

export class Cards {
  private readonly meta = new Map<string, MapMeta>();
  private readonly cursor = new Map<string, [number, number]>();
  private readonly norms = new Map<ParamName, NormItem[]>();
  private readonly tables = new Map<ParamName, NumbersTable>();
  private tablesAt = 0;

  constructor(private readonly v: View) {}

  build(): HTMLElement {
    return el(
      'section',
      { id: 'cards', class: 'cards', 'aria-label': 'Parameters' },
      ...PARAM_NAMES.map((p) => this.card(p)),
    );
  }

  private card(p: ParamName): HTMLElement {
    const { v } = this;
    const tableBtn = el('button', {
      type: 'button',
      class: 'small',
      id: `table-${p}`,
      'aria-pressed': String(!!v.ui.tables[p]),
      text: 'Numbers',
    });
    tableBtn.addEventListener('click', () => {
      v.ui.tables[p] = !v.ui.tables[p];
      tableBtn.setAttribute('aria-pressed', String(!!v.ui.tables[p]));
      v.saveUi();
      v.dirty('cards');
    });
    const zoom = (d: number) => {
      v.ui.zoom[p] = Math.max(-3, Math.min(3, (v.ui.zoom[p] ?? 0) + d));
      v.saveUi();
      v.dirty('cards');
    };
    const zin = el('button', { type: 'button', class: 'small', text: '+', 'aria-label': `Zoom in ${p}` });
    const zout = el('button', { type: 'button', class: 'small', text: '−', 'aria-label': `Zoom out ${p}` });
    zin.addEventListener('click', () => zoom(1));
    zout.addEventListener('click', () => zoom(-1));
    const maps = KINDS.map((kind) =>
      el(
        'figure',
        { class: `map map-${kind}`, id: `fig-${p}-${kind}` },
        el('figcaption', { text: CAPTION[kind](p) }),
        el('div', { class: 'scroll' }, this.heatCanvas(p, kind)),
        el(
          'div',
          { class: 'legend' },
          el('span', { class: 'neg' }),
          el('span', { class: 'lo', id: `lo-${p}-${kind}` }),
          el('span', { class: 'hi', id: `hi-${p}-${kind}` }),
          el('span', { class: 'pos' }),
        ),
      ),
    );
    const norms = [new NormItem('‖W‖'), new NormItem('‖dW‖'), new NormItem('‖ΔW‖/‖W‖', 1e-3)];
    this.norms.set(p, norms);
    this.tables.delete(p);
    return el(
      'article',
      { class: 'card', id: `card-${p}`, tabindex: -1 },
      el('h3', {}, el('span', { id: `title-${p}` }), el('span', { class: 'tools' }, zout, zin, tableBtn)),
      el('div', { class: 'maps' }, ...maps),
      el('div', { class: 'norms', id: `norms-${p}` }, ...norms.map((x) => x.root)),
      el('div', { class: 'table', id: `tbl-${p}` }),
    );
  }

  /** A heatmap canvas with hover and keyboard (arrow keys move a cursor cell) showing exact values. */
  private heatCanvas(p: ParamName, kind: MapKind): HTMLCanvasElement {
    const { v } = this;
    const c = el('canvas', {
      id: `map-${p}-${kind}`,
      class: 'heat',
      tabindex: 0,
      role: 'img',
      'aria-label': `${kind} of ${p}; arrow keys move between cells`,
    });
    const show = (i: number, j: number, x: number, y: number) => {
      const { run, theta, step } = v.state;
      if (!run) return;
      const b = blockOf(v, p);
      if (i < 0 || j < 0 || i >= b.rows || j >= b.cols) return hideTip();
      const k = b.offset + i * b.cols + j;
      const at = (a: Float64Array | null | undefined) => (a ? fmtExact(a[k]) : '—');
      tip(
        `${p}[${i},${j}]  ${entryRole(p, i, j, run)}\nvalue   ${fmtExact(theta[k])}\ngrad    ${at(step?.grad)}\nupdate  ${at(step?.delta)}${step?.trueGrad ? `\ntrue    ${at(step.trueGrad)}` : ''}`,
        x,
        y,
      );
    };
    const cellAt = (ev: MouseEvent): [number, number] => {
      const meta = this.meta.get(c.id);
      if (!meta) return [-1, -1];
      const r = c.getBoundingClientRect();
      const I = Math.floor(((ev.clientY - r.top) / r.height) * meta.rows),
        J = Math.floor(((ev.clientX - r.left) / r.width) * meta.cols);
      return [I * meta.blockRows, J * meta.blockCols];
    };
    c.addEventListener('mousemove', (ev) => {
      const [i, j] = cellAt(ev);
      show(i, j, ev.clientX, ev.clientY);
    });
    c.addEventListener('mouseleave', hideTip);
    c.addEventListener('blur', hideTip);
    c.addEventListener('click', (ev) => {
      const [i, j] = cellAt(ev);
      if (i >= 0) this.openEditor(p, i, j, c);
    });
    c.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && v.state.run) {
        const [i, j] = this.cursor.get(c.id) ?? [0, 0];
        ev.preventDefault();
        return this.openEditor(p, i, j, c);
      }
      const moves: Record<string, [number, number]> = {
        ArrowUp: [-1, 0],
        ArrowDown: [1, 0],
        ArrowLeft: [0, -1],
        ArrowRight: [0, 1],
      };
      const mv = moves[ev.key];
      if (!mv || !v.state.run) return;
      ev.preventDefault();
      const { rows, cols } = blockOf(v, p);
      const cur = this.cursor.get(c.id) ?? [0, 0];
      const next: [number, number] = [
        Math.max(0, Math.min(rows - 1, cur[0] + mv[0])),
        Math.max(0, Math.min(cols - 1, cur[1] + mv[1])),
      ];
      this.cursor.set(c.id, next);
      const r = c.getBoundingClientRect();
      show(next[0], next[1], r.left + r.width / 2, r.bottom);
    });
    return c;
  }

  /**
   * Edit one entry (paused or finished runs): what if this weight were…? The loss, every gradient, the chain rule,
   * the boundary and a gradient check follow at once; Restore puts the run's own value back.
   */
  private openEditor(p: ParamName, i: number, j: number, from: HTMLElement): void {
    const { v } = this;
    const run = v.state.run;
    if (!run) return;
    const b = blockOf(v, p);
    if (i < 0 || j < 0 || i >= b.rows || j >= b.cols) return;
    const k = b.offset + i * b.cols + j;
    const editable = run.live && (run.phase === 'paused' || run.phase === 'finished');
    byId('editor')?.remove();
    const close = () => {
      form.remove();
      from.focus();
    };
    const input = el('input', {
      type: 'number',
      step: 'any',
      id: 'editor-value',
      'aria-label': `New value of ${p}[${i},${j}]`,
    });
    input.value = String(v.state.theta[k]);
    const set = el('button', { type: 'submit', text: 'Set' });
    const restore = el('button', {
      type: 'button',
      class: 'secondary',
      id: 'editor-restore',
      text: "Restore the run's value",
    });
    restore.hidden = !run.edited.includes(k);
    restore.addEventListener('click', () => {
      v.post({ type: 'restoreParameter', index: k });
      close();
    });
    const cancel = el('button', { type: 'button', class: 'secondary', text: 'Close' });
    cancel.addEventListener('click', close);
    const form = el(
      'form',
      { id: 'editor', class: 'editor', role: 'dialog', 'aria-label': `Edit ${p}[${i},${j}]` },
      el('div', { class: 'small' }, `${p}[${i},${j}]  ${entryRole(p, i, j, run)}`),
      editable
        ? el('div', { class: 'row' }, input, set, restore, cancel)
        : el(
            'div',
            {},
            el('p', {
              class: 'small',
              text: 'Pause the run to edit a parameter (or edit after it has finished).',
            }),
            cancel,
          ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const x = Number(input.value);
      if (input.value.trim() !== '' && Number.isFinite(x)) {
        v.post({ type: 'setParameter', index: k, value: x });
        close();
      } else input.setCustomValidity('a finite number');
    });
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') close();
    });
    from.closest('.card')?.append(form);
    (editable ? input : cancel).focus();
    if (editable) input.select();
  }

  draw(): void {
    const { v } = this;
    const { run, theta, step, norms } = v.state;
    if (!run) return;
    for (const [pi, p] of PARAM_NAMES.entries()) {
      const { rows, cols, offset } = blockOf(v, p);
      const part = (a: Float64Array | null | undefined) =>
        a ? a.subarray(offset, offset + rows * cols) : null;
      const edited = run.edited.filter((k) => k >= offset && k < offset + rows * cols).length;
      byId(`title-${p}`)!.textContent =
        `${p}  (${rows}×${cols})${edited ? ` · ${edited} edited by hand` : ''}`;
      const mats: Record<MapKind, Float64Array | null> = {
        value: part(theta),
        grad: part(step?.grad),
        update: part(step?.delta),
        true: part(step?.trueGrad),
      };
      for (const kind of KINDS) {
        const fig = byId(`fig-${p}-${kind}`)!;
        fig.hidden = kind === 'true' && !mats.true;
        if (!fig.hidden)
          this.paint(byId<HTMLCanvasElement>(`map-${p}-${kind}`)!, mats[kind], rows, cols, p, kind);
      }
      const nW = l2(mats.value!),
        nG = mats.grad ? l2(mats.grad) : NaN,
        nD = mats.update ? l2(mats.update) : NaN;
      const ratio = nW > 0 ? nD / nW : NaN;
      const [iW, iG, iR] = this.norms.get(p)!;
      iW.update(fmt(nW), norms.W[pi]);
      iG.update(mats.grad ? fmt(nG) : '—', norms.dW[pi]);
      iR.update(
        mats.update ? fmt(ratio) : '—',
        norms.ratio[pi],
        ratio > 1e-2 ? 'high' : ratio < 1e-4 ? 'low' : '',
      );
      const box = byId(`tbl-${p}`)!;
      if (!v.ui.tables[p] || !mats.value) {
        if (box.firstChild) box.replaceChildren();
        this.tables.delete(p);
        continue;
      }
      // While training runs, the numbers change faster than anyone reads them: tables at most four times a second.
      if (run.phase === 'running' && performance.now() - this.tablesAt < 250 && this.tables.has(p)) continue;
      let t = this.tables.get(p);
      if (!t || t.rows !== rows || t.cols !== cols || !box.contains(t.root)) {
        t = new NumbersTable(p, rows, cols, columnLabels(p, cols, run.features), rowLabels(p, rows, run));
        this.tables.set(p, t);
        box.replaceChildren(t.root);
      }
      t.update(mats);
    }
    if (run.phase === 'running' && performance.now() - this.tablesAt >= 250)
      this.tablesAt = performance.now();
  }

  private paint(
    c: HTMLCanvasElement,
    m: Float64Array | null,
    rows: number,
    cols: number,
    p: ParamName,
    kind: MapKind,
  ): void {
    const { v } = this;
    const lo = byId(`lo-${p}-${kind}`)!,
      hi = byId(`hi-${p}-${kind}`)!;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    if (!m || rows === 0 || cols === 0) {
      // No step yet, or a new run whose data is not loaded (n = 0): nothing to paint.
      c.width = 60;
      c.height = 16;
      c.style.width = '60px';
      c.style.height = '16px';
      ctx.clearRect(0, 0, c.width, c.height);
      lo.textContent =
        v.state.run?.phase === 'failed'
          ? 'no data: the run failed'
          : rows === 0 || cols === 0
            ? 'loading the data…'
            : 'no step yet';
      hi.textContent = '';
      this.meta.delete(c.id);
      return;
    }
    // Sized to the card: cells of at least 12 px when the matrix fits (at most 40), smaller for big matrices, which
    // aggregate into blocks of 2 px cells beyond that; zoom scales it.
    const zoom = Math.pow(1.5, v.ui.zoom[p] ?? 0);
    const card = c.closest<HTMLElement>('.card');
    const width = Math.max(120, (card ? widthOf(card) : 420) - 32) * zoom;
    const height = 360 * zoom;
    const agg = aggregate(
      m,
      rows,
      cols,
      Math.max(1, Math.floor(height / 2)),
      Math.max(1, Math.floor(width / 2)),
    );
    const cell = Math.max(
      2,
      Math.min(40 * zoom, Math.floor(width / agg.cols), Math.floor(height / agg.rows)),
    );
    this.meta.set(c.id, {
      rows: agg.rows,
      cols: agg.cols,
      blockRows: agg.blockRows,
      blockCols: agg.blockCols,
    });
    const scale = maxAbs(m);
    paintCells(c, agg.data, agg.rows, agg.cols, scale, v.palette(), agg.cols * cell, agg.rows * cell);
    const bad = m.some((x) => !Number.isFinite(x));
    lo.textContent = `−${fmt(scale)}`;
    hi.textContent = `+${fmt(scale)}${bad ? ' · NaN/∞ in yellow' : ''}${agg.blockRows > 1 || agg.blockCols > 1 ? ` · ${agg.blockRows}×${agg.blockCols} blocks (largest |v|)` : ''}`;
  }
}

/** What one entry connects: W1[i,j] takes feature j into hidden unit i; W2[0,j] takes hidden unit j to the output. */
function entryRole(p: ParamName, i: number, j: number, run: PanelRun): string {
  // K ≥ 3: W2's row i and b2[i] belong to class i (its logit z2[i]).
  const out = run.K > 1 ? `class ${isolate(run.classes[i] ?? String(i))}` : 'the output';
  switch (p) {
    case 'W1':
      return `hidden unit ${i} ← ${isolate(run.features[j] ?? `x${j}`)}`;
    case 'b1':
      return `bias of hidden unit ${i}`;
    case 'W2':
      return `hidden unit ${j} → ${out}`;
    case 'b2':
      return `bias of ${out}`;
  }
}
