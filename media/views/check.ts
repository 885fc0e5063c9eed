/** The gradient-check table: per parameter, the worst entry, analytic vs numeric, relative error and verdict. */
import { fmt, fmtExact } from '../../src/panel/format';
import { decodeF64 } from '../../src/protocol';
import type { View } from '../context';
import { byId, el } from '../dom';

export function checkSection(v: View): HTMLElement {
  const button = el('button', { id: 'run-check', type: 'button', text: 'Run check now' });
  button.addEventListener('click', () => v.post({ type: 'runCheck' }));
  return el(
    'section',
    { class: 'check', 'aria-label': 'Gradient check' },
    el('h2', {}, 'Gradient check ', button),
    el('div', { id: 'check' }),
  );
}

/** A number in the one format, the exact value on hover. */
function num(x: number): HTMLElement {
  return el('td', { text: fmt(x), title: fmtExact(x) });
}

export function drawCheck(v: View): void {
  const host = byId('check');
  if (!host) return;
  const check = v.state.check;
  if (!check) {
    host.replaceChildren(
      el('p', {
        class: 'small',
        text: 'Compares the backward pass with central differences at the current parameters, on the first batch of the training data.',
      }),
    );
    return;
  }
  const t = check.thresholds;
  const one = (f: Parameters<typeof decodeF64>[0]) => decodeF64(f)[0];
  const head = [
    'parameter',
    'shape',
    'worst entry',
    'analytic',
    'numeric',
    'rel. error',
    'verdict',
    'allclose',
  ];
  const table = el(
    'table',
    { class: 'checktable' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))),
    el(
      'tbody',
      {},
      ...check.rows.map((r) =>
        el(
          'tr',
          { 'data-verdict': r.verdict },
          el('td', { text: r.name }),
          el('td', { text: `${r.shape[0]}×${r.shape[1]}` }),
          el('td', { text: `[${r.row},${r.col}]` }),
          num(one(r.analytic)),
          num(one(r.numeric)),
          num(one(r.relError)),
          el('td', {
            class: `verdict ${r.verdict}`,
            text: r.withinNoise && one(r.relError) > t.pass ? `${r.verdict} (within noise)` : r.verdict,
            title: r.withinNoise
              ? "The difference is within the central difference's rounding noise at this entry."
              : '',
          }),
          el('td', { text: r.allclose ? 'yes' : 'no' }),
        ),
      ),
    ),
  );
  const summary = `At step ${check.step}; verdict ${check.verdict}; central differences h = ${check.h}; pass ≤ ${t.pass}, warning ≤ ${t.warn}, fail > ${t.fail}; global ‖a − n‖/(‖a‖ + ‖n‖) = ${fmt(one(check.globalDiff))}.`;
  host.replaceChildren(table, el('p', { class: 'small', text: summary }));
}
