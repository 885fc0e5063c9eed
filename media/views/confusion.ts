/** Confusion matrices over the training and test rows (rows: the true class, columns: the predicted class). */
import type { View } from '../context';
import { byId, el } from '../dom';

export function confusionSection(): HTMLElement {
  return el(
    'section',
    { class: 'confusion-section', 'aria-label': 'Confusion matrices' },
    el('h2', { text: 'Confusion matrix' }),
    el('div', { id: 'confusion', class: 'confusions' }),
  );
}

export function drawConfusion(v: View): void {
  const host = byId('confusion');
  const run = v.state.run;
  if (!host || !run) return;
  const c = run.confusion;
  if (!c) {
    host.replaceChildren(
      el('p', {
        class: 'small',
        text: 'After the first epoch: how many rows of each true class (rows) the network predicts as each class (columns).',
      }),
    );
    return;
  }
  const names = run.classes;
  const table = (title: string, m: number[][]) => {
    const total = m.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
    const right = m.reduce((a, r, i) => a + (r[i] ?? 0), 0);
    const head = el(
      'tr',
      {},
      el('th', { text: 'true ↓ / predicted →' }),
      ...names.map((n) => el('th', { title: n }, el('bdi', { class: 'name', text: n }))),
    );
    const rows = m.map((r, i) =>
      el(
        'tr',
        {},
        el('th', { title: names[i] }, el('bdi', { class: 'name', text: names[i] ?? String(i) })),
        ...r.map((x, j) => el('td', { class: i === j ? 'diag' : '', text: String(x) })),
      ),
    );
    return el(
      'figure',
      {},
      el('figcaption', {
        text: `${title}: ${right} of ${total} right (${total ? ((100 * right) / total).toFixed(1) : '—'}%)`,
      }),
      el(
        'table',
        { class: 'confusion', 'aria-label': `${title} confusion matrix` },
        el('thead', {}, head),
        el('tbody', {}, ...rows),
      ),
    );
  };
  host.replaceChildren(
    table(`training rows, epoch ${c.epoch}`, c.train),
    ...(c.test ? [table('test rows', c.test)] : []),
  );
}
