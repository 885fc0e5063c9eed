/** The chain rule with this step's numbers, typeset by KaTeX (which only ever sees numbers we format). */
import katex from 'katex';
import { derivative } from '../../src/core/activations';
import type { ParamName } from '../../src/core/network';
import { fmt, l2 } from '../../src/panel/format';
import { type View, blockOf } from '../context';
import type { PanelRun, StepView } from '../../src/protocol';
import { byId, el } from '../dom';
import { chainKey } from '../state';

function tex(x: number, digits = 4): string {
  if (Number.isNaN(x)) return '\\text{NaN}';
  if (x === Infinity) return '+\\infty';
  if (x === -Infinity) return '-\\infty';
  const s = fmt(x, digits);
  const m = /^(-?[\d.]+)e([+-]\d+)$/.exec(s);
  return m ? `${m[1]}\\times10^{${Number(m[2])}}` : s;
}

/** "= [column]" for a short vector; "∈ ℝⁿ, ‖name‖ = …" for a long one (never "x = x ∈ ℝⁿ"). */
function texVec(a: Float64Array, name: string): string {
  if (a.length <= 8) return `= \\begin{bmatrix}${Array.from(a, (x) => tex(x)).join('\\\\')}\\end{bmatrix}`;
  return `\\in \\mathbb{R}^{${a.length}},\\ \\lVert ${name} \\rVert = ${tex(l2(a))}`;
}

function texRow(a: Float64Array, name: string): string {
  if (a.length <= 8) return `= \\begin{bmatrix}${Array.from(a, (x) => tex(x)).join(' & ')}\\end{bmatrix}`;
  return `\\in \\mathbb{R}^{1\\times${a.length}},\\ \\lVert ${name} \\rVert = ${tex(l2(a))}`;
}

function texMatrix(name: string, a: Float64Array, rows: number, cols: number): string {
  if (rows * cols <= 12 && cols > 1) {
    return `= \\begin{bmatrix}${Array.from({ length: rows }, (_, i) => Array.from(a.subarray(i * cols, i * cols + cols), (x) => tex(x)).join(' & ')).join('\\\\')}\\end{bmatrix}`;
  }
  return `\\in \\mathbb{R}^{${rows}\\times${cols}},\\ \\lVert ${name} \\rVert = ${tex(l2(a))}`;
}

/** Digits that show a difference a − b of size d: 4 significant digits of the difference, at least 4 of a and b. */
function digitsFor(a: number, d: number): number {
  if (!(Math.abs(d) > 0) || !Number.isFinite(a) || a === 0) return 4;
  return Math.min(17, Math.max(4, 4 + Math.ceil(Math.log10(Math.abs(a) / Math.abs(d)))));
}

const G: Record<string, { name: string; prime: string }> = {
  sigmoid: { name: '\\sigma', prime: "\\sigma'(z_1) = a_1 \\ast (1 - a_1)" },
  tanh: { name: '\\tanh', prime: "\\tanh'(z_1) = 1 - a_1^2" },
  relu: { name: '\\operatorname{relu}', prime: "\\operatorname{relu}'(z_1) = [z_1 > 0]" },
};

/** The element and the step whose equations it holds: KaTeX runs only when the shown step changes. */
let rendered: { host: HTMLElement | null; key: string } = { host: null, key: '' };

export function drawChain(v: View): void {
  const { run, step: last } = v.state;
  if (!run) return;
  const host = byId('chain')!;
  const pick = byId('pick')!;
  const key = chainKey(run);
  if (rendered.host === host && rendered.key === key) return;
  rendered = { host, key };
  if (!last) {
    host.replaceChildren(el('p', { class: 'small', text: 'No optimizer step yet: press Step to see one.' }));
    pick.textContent = '';
    return;
  }
  const { x, z1, a1, dz1, z2, a2, dz2, loss: L, grad: g, delta: d } = last;
  const part = (a: Float64Array, p: ParamName) => {
    const b = blockOf(v, p);
    return a.subarray(b.offset, b.offset + b.rows * b.cols);
  };
  const h = run.hidden,
    n = run.n;
  const act = G[run.activation];
  const gprime = a1.map((a, k) => derivative(run.activation, z1[k], a)); // g'(z1), core's definition
  const hand = run.edited.length
    ? `\\quad\\text{(at the parameters as edited by hand: ${run.edited.length} entr${run.edited.length === 1 ? 'y' : 'ies'}; no update applied yet)}`
    : '';
  const batch =
    last.sampleCount > 1
      ? `\\quad\\text{(first of the step's ${last.sampleCount} examples; the update uses their mean gradient)}`
      : '';
  const adaptive = run.optimizer === 'momentum' || run.optimizer === 'rmsprop' || run.optimizer === 'adam';
  const rule = adaptive
    ? `\\Delta W \\text{ from ${run.optimizer}}`
    : `-\\alpha\\, dW,\\ \\alpha = ${tex(run.lr)}`;
  const K = run.K;
  // K ≥ 3 classes: the same six formulas with vectors; y is the one-hot vector of the true class (its index, never its
  // name, goes to KaTeX: the name is a user's text and is shown as text below).
  const output: Array<[string, ParamName | null]> =
    K > 1
      ? [
          [`z_2 = W_2 a_1 + b_2 ${texVec(last.z2k, 'z_2')}`, 'W2'],
          [
            `\\hat y = a_2 = \\operatorname{softmax}(z_2) ${texVec(last.a2k, 'a_2')},\\quad L = -\\log a_2[y] = ${tex(L)}`,
            null,
          ],
          [`dz_2 = a_2 - y,\\ y = e_{${last.y}}\\ (\\text{one-hot})\\ ${texVec(last.dz2k, 'dz_2')}`, null],
          [`dW_2 = dz_2\\, a_1^{\\top} ${texMatrix('dW_2', part(g, 'W2'), K, h)}`, 'W2'],
          [`db_2 = dz_2 ${texVec(part(g, 'b2'), 'db_2')}`, 'b2'],
        ]
      : [
          [`z_2 = W_2 a_1 + b_2 = ${tex(z2)}`, 'W2'],
          [
            `\\hat y = a_2 = \\sigma(z_2) = ${tex(a2)},\\quad L = -(y \\log \\hat y + (1-y)\\log(1-\\hat y)) = ${tex(L)}`,
            null,
          ],
          // When ŷ is close to y, enough digits that the subtraction visibly gives dz2 (never "1.000 − 1.000 = −1.39e-5").
          [`dz_2 = a_2 - y = ${tex(a2, digitsFor(a2, dz2))} - ${last.y} = ${tex(dz2)}`, null], // y: a label, 0 or 1
          [`dW_2 = dz_2\\, a_1^{\\top} ${texRow(part(g, 'W2'), 'dW_2')}`, 'W2'],
          [`db_2 = dz_2 = ${tex(part(g, 'b2')[0])}`, 'b2'],
        ];
  const lines: Array<[string, ParamName | null]> = [
    [`x ${texVec(x, 'x')},\\quad y = ${last.y}${batch}${hand}`, null], // a label (a class index for K classes)
    [`z_1 = W_1 x + b_1 ${texVec(z1, 'z_1')}`, 'W1'],
    [`a_1 = ${act.name}(z_1) ${texVec(a1, 'a_1')}`, null],
    ...output,
    [
      `dz_1 = W_2^{\\top} dz_2 \\ast ${act.prime.split(' = ')[0]} ${texVec(dz1, 'dz_1')},\\quad ${act.prime} ${texVec(gprime, "g'")}`,
      null,
    ],
    [`dW_1 = dz_1\\, x^{\\top} ${texMatrix('dW_1', part(g, 'W1'), h, n)}`, 'W1'],
    [`db_1 = dz_1 ${texVec(part(g, 'b1'), 'db_1')}`, 'b1'],
    [
      `W := W + \\Delta W,\\quad \\Delta W = ${rule}:\\ \\lVert \\Delta W_1 \\rVert = ${tex(l2(part(d, 'W1')))},\\ \\lVert \\Delta b_2 \\rVert = ${tex(l2(part(d, 'b2')))}`,
      null,
    ],
  ];
  if (K > 1)
    lines.push([
      `\\text{The binary network is the case of one logit: }\\sigma(z) = \\operatorname{softmax}([z, 0])_1\\text{, and }dz_2 = a_2 - y\\text{ there too.}`,
      null,
    ]);
  if (last.sampleCount > 1)
    lines.splice(lines.length - 2 - (K > 1 ? 1 : 0), 0, [
      `\\text{(the step's gradient is the mean over its ${last.sampleCount} examples; the lines above are the first example's)}`,
      null,
    ]);
  host.replaceChildren(...lines.map(([src, link]) => equation(v, src, link)));
  const samples = last.samples.slice(0, 6).join(', ') + (last.sampleCount > 6 ? ', …' : '');
  pick.textContent =
    run.optimizer === 'misclassified-sgd'
      ? `Step ${last.step}: picked training row ${last.samples[0]} among ${last.misclassified} misclassified point${last.misclassified === 1 ? '' : 's'} (ŷ = ${fmt(a2)}, y = ${last.y}).`
      : last.sampleCount === 1
        ? `Step ${last.step}: training row ${last.samples[0]} (one example): ${yText(run, last)}.`
        : `Step ${last.step}: training rows ${samples} (${last.sampleCount} examples); the first has ${yText(run, last)}.`;
}

function equation(v: View, src: string, link: ParamName | null): HTMLElement {
  const box = el('div', { class: 'eq' });
  const m = el('span', { class: 'math' });
  try {
    katex.render(src, m, {
      throwOnError: false,
      displayMode: false,
      output: 'html',
      strict: 'ignore',
      trust: false,
    });
  } catch {
    m.textContent = src;
  }
  box.append(m);
  if (link) {
    const b = el('button', {
      type: 'button',
      class: 'link small',
      text: `${link} heatmap`,
      'aria-label': `Show the ${link} heatmap`,
    });
    b.addEventListener('click', () => v.focusParam(link));
    box.append(b);
  }
  return box;
}

/** "ŷ = 0.8123, y = 1", or with K classes the true class by name and its probability. */
function yText(run: PanelRun, last: StepView): string {
  if (run.K <= 1) return `ŷ = ${fmt(last.a2)}, y = ${last.y}`;
  const name = run.classes[last.y] ?? String(last.y);
  let best = 0;
  last.a2k.forEach((p, k) => {
    if (p > last.a2k[best]) best = k;
  });
  return `y = class ${last.y} (\u2068${name}\u2069), p = ${fmt(last.a2k[last.y])}; predicted class ${best} (\u2068${run.classes[best] ?? best}\u2069)`;
}
