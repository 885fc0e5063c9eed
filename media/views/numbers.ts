/** A parameter's numbers table: every entry's value, gradient and update, labelled by hidden unit, feature or class. */
import type { ParamName } from '../../src/core/network';
import { fmt } from '../../src/panel/format';
import type { PanelRun } from '../../src/protocol';
import { el } from '../dom';

/** The matrices a card shows: θ's values, the gradient, the applied update and (a derivation's run) the true gradient. */
export type MapKind = 'value' | 'grad' | 'update' | 'true';

/** Value, gradient and update of every entry (at most 32×32), built once per shape and updated in place. */
export class NumbersTable {
  readonly root: HTMLElement;
  private readonly cells: HTMLElement[][] = []; // per entry: [value, grad, update]

  constructor(
    p: ParamName,
    readonly rows: number,
    readonly cols: number,
    labels: string[],
    rowNames: string[],
  ) {
    const R = Math.min(rows, 32),
      C = Math.min(cols, 32);
    const table = el('table', {
      class: 'numbers',
      'aria-label': `${p}: value / gradient / update per entry`,
    });
    // Column heads: W1's are the features (a user's names: isolated, cut with an ellipsis, whole on hover).
    table.append(
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { text: '' }),
          ...Array.from({ length: C }, (_, j) =>
            el('th', { title: labels[j] }, el('bdi', { class: 'name', text: labels[j] })),
          ),
        ),
      ),
    );
    const body = el('tbody');
    for (let i = 0; i < R; i++) {
      const tr = el(
        'tr',
        {},
        el('th', { title: rowNames[i] }, el('bdi', { class: 'name', text: rowNames[i] })),
      );
      for (let j = 0; j < C; j++) {
        const parts = [el('div', { class: 'v' }), el('div', { class: 'g' }), el('div', { class: 'u' })];
        this.cells.push(parts);
        tr.append(
          el(
            'td',
            { 'data-row': i, 'data-col': j, 'data-k': i * cols + j, title: `${p}[${i},${j}]: ${labels[j]}` },
            ...parts,
          ),
        );
      }
      body.append(tr);
    }
    table.append(body);
    const note =
      rows > R || cols > C
        ? el('p', { class: 'small', text: `Showing ${R}×${C} of ${rows}×${cols}; the heatmap shows all.` })
        : null;
    this.root = el(
      'div',
      {},
      el('p', { class: 'small', text: 'Each cell: value, gradient, update.' }),
      table,
      note,
    );
  }

  update(mats: Record<MapKind, Float64Array | null>): void {
    const text = (a: Float64Array | null, k: number) => (a && k < a.length ? fmt(a[k]) : '—');
    const C = Math.min(this.cols, 32);
    this.cells.forEach((parts, q) => {
      const k = Math.floor(q / C) * this.cols + (q % C);
      const t = [text(mats.value, k), text(mats.grad, k), text(mats.update, k)];
      for (let i = 0; i < 3; i++) if (parts[i].textContent !== t[i]) parts[i].textContent = t[i];
    });
  }
}

/** Row labels of a parameter's table: hidden units for W1 and b1; the classes for W2 and b2 with K ≥ 3. */
export function rowLabels(p: ParamName, rows: number, run: PanelRun): string[] {
  return Array.from({ length: rows }, (_, i) =>
    (p === 'W2' || p === 'b2') && run.K > 1
      ? (run.classes[i] ?? String(i))
      : p === 'W1' || p === 'b1'
        ? `unit ${i}`
        : String(i),
  );
}

/** Column labels of a parameter's table: the features for W1, hidden units for W2, nothing else to say for biases. */
export function columnLabels(p: ParamName, cols: number, features: string[]): string[] {
  return Array.from({ length: cols }, (_, j) =>
    p === 'W1' ? (features[j] ?? `x${j}`) : p === 'W2' ? `unit ${j}` : String(j),
  );
}
