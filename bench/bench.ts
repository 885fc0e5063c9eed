/**
 * npm run bench: fixed workloads, printed as JSON lines and then as a table
 * with the peers side by side. Peers marked "measured" run here in the same
 * process on the same input; "reference" figures are the issue's measurements
 * on a machine like ours (numpy, pandas: no Python packages are installed here).
 */
import { parse as csvParse } from 'csv-parse/sync';
import Papa from 'papaparse';
import { csvParseRows } from 'd3-dsv';
import { checkNetwork } from '../src/core/check';
import { Rng } from '../src/core/rng';
import { DEFAULT_CONFIG, Trainer, type TrainConfig, type TrainData } from '../src/core/trainer';
import { readDataset } from '../src/data/dataset';
import { checkDerivation, referenceDerivation } from '../src/derivation/checker';

interface Row {
  workload: string;
  impl: string;
  kind: 'ours' | 'measured' | 'reference';
  value: number;
  unit: string;
  seconds?: number;
  memoryMB?: number;
}

const rows: Row[] = [];
const emit = (r: Row) => {
  rows.push(r);
  console.log(JSON.stringify(r));
};
const now = () => performance.now() / 1000;

function randomData(m: number, n: number, seed: number): TrainData {
  const rng = new Rng(seed);
  const X = new Float64Array(m * n), Y = new Float64Array(m);
  const w = Float64Array.from({ length: n }, () => rng.normal());
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (X[i * n + j] = rng.normal()) * w[j];
    Y[i] = s + 0.5 * rng.normal() > 0 ? 1 : 0;
  }
  return { X, Y, m, n };
}

function timeTrainer(name: string, d: TrainData, cfg: Partial<TrainConfig>, unit: 'updates/s' | 'examples/s') {
  const t = new Trainer({ ...DEFAULT_CONFIG, ...cfg }, d);
  const t0 = now();
  let examples = 0;
  const r = t.run({ onStep: (s) => { examples += s.samples.length; } });
  const dt = now() - t0;
  emit({ workload: name, impl: 'backprop-lens Trainer', kind: 'ours', value: (unit === 'updates/s' ? r.steps : examples) / dt, unit, seconds: dt });
}

/** The smallest possible per-sample SGD over flat arrays (no records, no bookkeeping): the ceiling for workload 1. */
function tightLoop(d: TrainData, h: number, steps: number): number {
  const { X, Y, m, n } = d;
  const rng = new Rng(1);
  const W1 = Float64Array.from({ length: h * n }, () => rng.normal() * 0.5), b1 = new Float64Array(h);
  const W2 = Float64Array.from({ length: h }, () => rng.normal() * 0.5);
  let b2 = 0;
  const a1 = new Float64Array(h), z1 = new Float64Array(h);
  const lr = 0.1;
  const t0 = now();
  for (let s = 0; s < steps; s++) {
    const i = s % m, o = i * n;
    let z2 = b2;
    for (let j = 0; j < h; j++) {
      let z = b1[j];
      for (let k = 0; k < n; k++) z += W1[j * n + k] * X[o + k];
      z1[j] = z;
      a1[j] = 1 / (1 + Math.exp(-z));
      z2 += W2[j] * a1[j];
    }
    const dz2 = 1 / (1 + Math.exp(-z2)) - Y[i];
    for (let j = 0; j < h; j++) {
      const dz1 = W2[j] * dz2 * a1[j] * (1 - a1[j]);
      W2[j] -= lr * dz2 * a1[j];
      b1[j] -= lr * dz1;
      for (let k = 0; k < n; k++) W1[j * n + k] -= lr * dz1 * X[o + k];
    }
    b2 -= lr * dz2;
  }
  return steps / (now() - t0);
}

function csvText(rowsN: number, cols: number): string {
  const rng = new Rng(42);
  const parts: string[] = [Array.from({ length: cols - 1 }, (_, j) => `f${j}`).join(',') + ',label'];
  for (let i = 0; i < rowsN; i++) {
    const r: string[] = [];
    for (let j = 0; j < cols - 1; j++) r.push((rng.normal() * 100).toFixed(4));
    r.push(String(i & 1));
    parts.push(r.join(','));
  }
  return parts.join('\n') + '\n';
}

function mbps(bytes: number, seconds: number) {
  return bytes / 1e6 / seconds;
}

function best<T>(runs: number, f: () => T): { seconds: number; result: T } {
  let bestT = Infinity;
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    result = f();
    bestT = Math.min(bestT, now() - t0);
  }
  return { seconds: bestT, result };
}

function main() {
  const quick = process.argv.includes('--quick');
  const scale = quick ? 0.1 : 1;

  // 1. per-sample SGD, n = 2, h = 4, 400 points
  const small = randomData(400, 2, 1);
  timeTrainer('sgd n=2 h=4 m=400', small, { optimizer: 'sgd', hidden: 4, epochs: Math.round(2500 * scale) }, 'updates/s');
  emit({ workload: 'sgd n=2 h=4 m=400', impl: 'tight Float64Array loop (bench)', kind: 'measured', value: tightLoop(small, 4, Math.round(2e6 * scale)), unit: 'updates/s' });
  emit({ workload: 'sgd n=2 h=4 m=400', impl: 'numpy per-sample loop', kind: 'reference', value: 50e3, unit: 'updates/s' });
  emit({ workload: 'sgd n=2 h=4 m=400', impl: 'tight Float64Array loop', kind: 'reference', value: 8e6, unit: 'updates/s' });

  // 2. per-sample SGD, n = 30, h = 64, 569 points
  timeTrainer('sgd n=30 h=64 m=569', randomData(569, 30, 2), { optimizer: 'sgd', hidden: 64, epochs: Math.max(1, Math.round(100 * scale)) }, 'updates/s');

  // 3. mini-batch 100,000 × 20, h = 128, batch 256
  timeTrainer('minibatch 100000x20 h=128 B=256', randomData(Math.round(100000 * scale), 20, 3), { optimizer: 'minibatch', hidden: 128, batchSize: 256, epochs: 1 }, 'examples/s');

  // 4. full batch 10,000 × 100, h = 256
  timeTrainer('batch 10000x100 h=256', randomData(Math.round(10000 * scale), 100, 4), { optimizer: 'batch', hidden: 256, epochs: 3 }, 'examples/s');

  // 5. full gradient check, n = 30, h = 32, batch 64
  {
    const d = randomData(64, 30, 5);
    const t = new Trainer({ ...DEFAULT_CONFIG, hidden: 32 }, d);
    const { seconds, result } = best(3, () => checkNetwork(t.net, d, 64));
    emit({ workload: 'gradcheck n=30 h=32 batch 64', impl: `backprop-lens (${result.evaluations} loss evaluations, ${result.verdict})`, kind: 'ours', value: seconds, unit: 's', seconds });
  }

  // 6. parse a 1,000,000 × 21 numeric CSV
  {
    const n = Math.round(1e6 * scale);
    const text = csvText(n, 21);
    const bytes = new TextEncoder().encode(text);
    const { seconds } = best(3, () => readDataset(bytes, 'bench.csv', { maxBytes: 2 ** 31 }));
    // Memory: the bytes the result's typed arrays hold (their whole backing buffers, slack included).
    const result = readDataset(bytes, 'bench.csv', { maxBytes: 2 ** 31 });
    if (!result.ok) throw new Error(result.error.message);
    const held = new Set([result.table.X.buffer, result.table.Y.buffer, result.table.lines.buffer]);
    const heldMB = [...held].reduce((a, b) => a + b.byteLength, 0) / 1e6;
    const numericMB = (result.table.m * (result.table.n + 1) * 8 + result.table.m * 4) / 1e6;
    emit({
      workload: `parse CSV ${n}x21 (${(bytes.length / 1e6).toFixed(0)} MB)`, impl: 'backprop-lens reader (full contract)', kind: 'ours',
      value: mbps(bytes.length, seconds), unit: 'MB/s', seconds,
      memoryMB: heldMB,
    });
    emit({ workload: `parse CSV ${n}x21`, impl: 'numeric payload m·(n+1)·8 + m·4 bytes', kind: 'measured', value: numericMB, unit: 'MB' });
    // Peers on a 10% slice (they are slower; the rate is what compares). They only split strings: no number checks.
    const cut = text.slice(0, text.indexOf('\n', Math.floor(text.length / 10)) + 1);
    const cutBytes = Buffer.byteLength(cut);
    const cutBuf = Buffer.from(cut);
    emit({ workload: `parse CSV ${n}x21`, impl: 'csv-parse/sync (strings only)', kind: 'measured', value: mbps(cutBytes, best(1, () => csvParse(cutBuf)).seconds), unit: 'MB/s' });
    emit({ workload: `parse CSV ${n}x21`, impl: 'papaparse (dynamicTyping)', kind: 'measured', value: mbps(cutBytes, best(1, () => Papa.parse(cut, { dynamicTyping: true })).seconds), unit: 'MB/s' });
    emit({ workload: `parse CSV ${n}x21`, impl: 'd3-dsv csvParseRows (strings only)', kind: 'measured', value: mbps(cutBytes, best(2, () => csvParseRows(cut)).seconds), unit: 'MB/s' });
    for (const [impl, v] of [['pandas.read_csv', 103], ['numpy.loadtxt', 188], ['hand-written scanner', 345]] as const) {
      emit({ workload: `parse CSV ${n}x21`, impl, kind: 'reference', value: v, unit: 'MB/s' });
    }
  }

  // 7. pathological and hostile inputs: bounded time (the unit tests check the results)
  {
    const enc = new TextEncoder();
    const wide = enc.encode(Array.from({ length: 2001 }, (_, j) => `f${j}`).join(',') + '\n' + Array.from({ length: 200 }, (_, i) => Array.from({ length: 2001 }, (_, j) => String(j === 2000 ? i % 2 : (i * j) % 9)).join(',')).join('\n'));
    const digits = enc.encode(`a,y\n1${'0'.repeat(99_999)},0\n1,1\n`);
    const garbage = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24);
    const deriv = Array.from({ length: 2000 }, (_, i) => `h${i} = a1 * ${i}`).join('\n') + '\n' + referenceDerivation('sigmoid');
    for (const [name, f] of [
      ['2,000-column CSV, 200 rows', () => readDataset(wide, 'w.csv')],
      ['100,000-digit cell (overflow error)', () => readDataset(digits, 'd.csv')],
      ['1 MB of binary garbage (encoding error)', () => readDataset(garbage, 'g.csv')],
      ['.deriv check, 2,000 helper lines + the seed', () => checkDerivation(deriv, { activation: 'sigmoid' })],
      ['.deriv check, the seed (what typing costs)', () => checkDerivation(referenceDerivation('sigmoid'), { activation: 'sigmoid' })],
    ] as const) {
      const { seconds } = best(3, f as () => unknown);
      emit({ workload: `hostile: ${name}`, impl: 'backprop-lens', kind: 'ours', value: seconds * 1000, unit: 'ms', seconds });
    }
  }

  // Table
  const fmt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toPrecision(3));
  const cols = [['workload', 'implementation', 'kind', 'result']];
  for (const r of rows) cols.push([r.workload, r.impl, r.kind, `${fmt(r.value)} ${r.unit}${r.memoryMB !== undefined ? ` (holds ${r.memoryMB.toFixed(0)} MB)` : ''}`]);
  const w = cols[0].map((_, j) => Math.max(...cols.map((c) => c[j].length)));
  console.log('\n' + cols.map((c, i) => '| ' + c.map((x, j) => x.padEnd(w[j])).join(' | ') + ' |' + (i === 0 ? '\n|' + w.map((k) => '-'.repeat(k + 2)).join('|') + '|' : '')).join('\n'));
}

main();
