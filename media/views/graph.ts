/** The computation graph x → (W1, b1) → z1 → a1 → (W2, b2) → z2 → a2 → L with this step's norms. */
import type { ParamName } from '../../src/core/network';
import { fmt, l2 } from '../../src/panel/format';
import { type View, blockOf } from '../context';
import { byId, svg, widthOf } from '../dom';

interface GraphNode {
  label: string;
  value: string;
  grad: string | null;
  param?: ParamName;
}

export function drawGraph(v: View): void {
  const { run, theta, step } = v.state;
  if (!run) return;
  const host = byId('graph')!;
  const part = (a: Float64Array, p: ParamName) => {
    const b = blockOf(v, p);
    return a.subarray(b.offset, b.offset + b.rows * b.cols);
  };
  const g = step?.grad ?? null;
  const nodes: GraphNode[] = [
    { label: 'x', value: `ℝ${superscript(run.n)}`, grad: null },
    {
      label: 'W1, b1',
      value: `‖W1‖ ${fmt(l2(part(theta, 'W1')))}`,
      grad: g ? `‖dW1‖ ${fmt(l2(part(g, 'W1')))}` : null,
      param: 'W1',
    },
    {
      label: 'z1',
      value: step ? `‖z1‖ ${fmt(l2(step.z1))}` : '—',
      grad: step ? `‖dz1‖ ${fmt(l2(step.dz1))}` : null,
    },
    { label: 'a1', value: step ? `‖a1‖ ${fmt(l2(step.a1))}` : '—', grad: null },
    {
      label: 'W2, b2',
      value: `‖W2‖ ${fmt(l2(part(theta, 'W2')))}`,
      grad: g ? `‖dW2‖ ${fmt(l2(part(g, 'W2')))}` : null,
      param: 'W2',
    },
    ...(run.K > 1
      ? [
          {
            label: 'z2 (logits)',
            value: step ? `‖z2‖ ${fmt(l2(step.z2k))}` : '—',
            grad: step ? `‖dz2‖ ${fmt(l2(step.dz2k))}` : null,
          },
          { label: 'a2 = softmax', value: step ? `p(y) ${fmt(step.a2k[step.y] ?? NaN)}` : '—', grad: null },
        ]
      : [
          { label: 'z2', value: step ? fmt(step.z2) : '—', grad: step ? `dz2 ${fmt(step.dz2)}` : null },
          { label: 'a2 = ŷ', value: step ? fmt(step.a2) : '—', grad: null },
        ]),
    // z1 … a2 are the step's first example; L is the mean over the step's examples when it has several.
    {
      label: step && step.sampleCount > 1 ? `L (mean of ${step.sampleCount})` : 'L',
      value: step ? fmt(step.loss) : '—',
      grad: null,
    },
  ];
  // Narrow panels get two rows of four nodes, so that a2 and L are never cut off.
  const width = widthOf(host);
  const perRow = width > 0 && width < 700 ? 4 : 8;
  const key = `${run.n}:${run.K}:${v.ui.focus}:${perRow}:${nodes.map((nd) => nd.grad !== null).join()}`;
  if (built && built.host === host && built.key === key && host.contains(built.svg)) {
    // Same structure: only the numbers change (no new DOM in the hot path).
    nodes.forEach((nd, k) => {
      setText(built!.values[k], nd.value);
      if (nd.grad !== null) setText(built!.grads[k]!, `← ${nd.grad}`);
      const label = `${nd.label}: ${nd.value}${nd.grad ? `, ${nd.grad}` : ''}`;
      if (built!.groups[k].getAttribute('aria-label') !== label)
        built!.groups[k].setAttribute('aria-label', label);
    });
    return;
  }
  const w = 112.5,
    rowH = 110,
    rows = Math.ceil(nodes.length / perRow);
  const W = w * perRow,
    H = rowH * rows;
  const at = (k: number) => ({ cx: w * (k % perRow) + w / 2, top: rowH * Math.floor(k / perRow) });
  const s = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: `graph rows-${rows}`,
    role: 'group',
    'aria-label': 'x → (W1, b1) → z1 → a1 → (W2, b2) → z2 → a2 → L',
  });
  const values: SVGTextElement[] = [],
    grads: Array<SVGTextElement | null> = [],
    groups: SVGGElement[] = [];
  nodes.forEach((nd, k) => {
    const { cx, top } = at(k);
    const y = top + 40;
    if (k > 0 && k % perRow !== 0) {
      s.append(svg('line', { x1: cx - w + 48, y1: y, x2: cx - 48, y2: y, class: 'edge' }));
      s.append(
        svg('polygon', { points: `${cx - 48},${y} ${cx - 54},${y - 4} ${cx - 54},${y + 4}`, class: 'arrow' }),
      );
    } else if (k > 0) {
      // The row wraps: from the end of the row above, down and back to this row's first node.
      const prev = at(k - 1);
      const mid = top - 4;
      s.append(
        svg('polyline', {
          points: `${prev.cx + 46},${prev.top + 40} ${prev.cx + 52},${prev.top + 40} ${prev.cx + 52},${mid} ${cx - 52},${mid} ${cx - 52},${y} ${cx - 48},${y}`,
          class: 'edge',
          fill: 'none',
        }),
      );
      s.append(
        svg('polygon', { points: `${cx - 46},${y} ${cx - 52},${y - 4} ${cx - 52},${y + 4}`, class: 'arrow' }),
      );
    }
    const node = svg('g', {
      class: `node${nd.param ? ' param' : ''}${nd.param === v.ui.focus ? ' focus' : ''}`,
      tabindex: nd.param ? 0 : -1,
      role: nd.param ? 'button' : 'img',
      'aria-label': `${nd.label}: ${nd.value}${nd.grad ? `, ${nd.grad}` : ''}`,
    });
    node.append(svg('rect', { x: cx - 46, y: top + 18, width: 92, height: 44, rx: 6 }));
    const t1 = svg('text', { x: cx, y: top + 36, class: 'label' });
    t1.textContent = nd.label;
    const t2 = svg('text', { x: cx, y: top + 53, class: 'value' });
    t2.textContent = nd.value;
    node.append(t1, t2);
    values.push(t2);
    groups.push(node);
    if (nd.grad) {
      const t3 = svg('text', { x: cx, y: top + 82, class: 'grad' });
      t3.textContent = `← ${nd.grad}`;
      s.append(t3);
      grads.push(t3);
    } else grads.push(null);
    const p = nd.param;
    if (p) {
      node.addEventListener('click', () => v.focusParam(p));
      node.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          v.focusParam(p);
        }
      });
    }
    s.append(node);
  });
  host.replaceChildren(s);
  built = { host, key, svg: s, values, grads, groups };
}

let built: {
  host: HTMLElement;
  key: string;
  svg: SVGSVGElement;
  values: SVGTextElement[];
  grads: Array<SVGTextElement | null>;
  groups: SVGGElement[];
} | null = null;

function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** A count as superscript digits (ℝ³⁰, as the chain rule writes it). */
function superscript(n: number): string {
  return String(n).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]);
}
