/**
 * npm run bench [-- --quick] [-- WORKLOAD…]: the workloads of the performance issue, each through the
 * public API (Trainer, checkNetwork, readDataset, checkDerivation), with a warm-up and repetitions, and
 * the same workloads run by peers in the same run: numpy and PyTorch (one thread, float64, the reference
 * derivation's formulas by hand) through python3 when they are installed (bench/peers/, scripts/setup-peers.sh).
 *
 * A peer gets the same data, the same initial θ and the same stream of training rows (files in a temporary
 * directory) and must reproduce our first losses to 1e-9 relative (for the gradient check: the loss and the
 * numeric gradient; for training also the training loss of the first epoch summaries, which they compute as the
 * Trainer does at every epoch's end) before its time counts; a peer that does not match is reported as such.
 *
 * Output: one JSON line per result, then a table with the median, the spread (min–max) and our ratio to
 * each peer. WORKLOAD: any of the names below (a prefix is enough).
 */
import { noisyLinear } from '../src/data/synthetic';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as csvParse } from 'csv-parse/sync';
import Papa from 'papaparse';
import { csvParseRows } from 'd3-dsv';
import { checkNetwork } from '../src/core/check';
import { paramCount } from '../src/core/network';
import { Rng } from '../src/core/rng';
import { DEFAULT_CONFIG, Trainer, type TrainConfig, type TrainData } from '../src/core/trainer';
import { readDataset } from '../src/data/dataset';
import { allRows, evaluator, filterNormalizedDirection, lossGrid } from '../src/core/landscape';
import { checkDerivation, referenceDerivation } from '../src/derivation/checker';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const SELECTED = argv.filter((a) => !a.startsWith('--'));
const REPS = QUICK ? 3 : 5;
const TARGET_S = QUICK ? 0.15 : 0.4; // seconds per repetition
const VERIFY = 5; // first steps whose losses a peer must reproduce
const MATCH = 1e-9; // relative

interface Result {
  workload: string;
  impl: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  reps: number;
  /** What one repetition did (steps, samples, checks, parses). */
  perRep?: string;
  memoryMB?: number;
  /** Peers: whether they reproduced our numbers; why not. */
  matches?: boolean;
  note?: string;
  ours?: boolean;
}

const results: Result[] = [];
function emit(r: Result) {
  results.push(r);
  console.log(JSON.stringify(r));
}
const now = () => performance.now() / 1000;
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Rates from repetition times: units per second, median and spread. */
function rates(units: number, times: number[]) {
  const r = times.map((t) => units / t);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r), reps: times.length };
}

/** Probe with a small size, scale to TARGET_S per repetition (at most cap), warm up, then REPS timed repetitions. */
function measure(run: (units: number) => void, cap: number, probe = 1): { units: number; times: number[] } {
  let t0 = now();
  run(Math.min(cap, probe));
  const rate = Math.min(cap, probe) / Math.max(now() - t0, 1e-9);
  const units = Math.max(1, Math.min(cap, Math.round(rate * TARGET_S)));
  run(units); // warm-up at the measured size
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    t0 = now();
    run(units);
    times.push(now() - t0);
  }
  return { units, times };
}

function randomData(m: number, n: number, seed: number): TrainData {
  return noisyLinear(new Rng(seed), m, n);
}

// ---------------------------------------------------------------- peers

interface Python {
  exe: string;
  numpy: string | null;
  torch: string | null;
  blas: string | null;
}

/** The peers' environment: ours without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (they would mis-tune OpenBLAS). */
function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

const PEERS_DIR = [join(__dirname, '..', 'bench', 'peers'), join(__dirname, 'peers')].find((d) =>
  existsSync(join(d, 'probe.py')),
)!;

function findPythons(): { numpy: Python | null; torch: Python | null } {
  const found: Python[] = [];
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, [join(PEERS_DIR, 'probe.py')], {
      encoding: 'utf8',
      env: peerEnv(),
      cwd: PEERS_DIR,
    });
    if (r.status !== 0) continue;
    try {
      found.push({ exe, ...JSON.parse(r.stdout) });
    } catch {
      /* not a usable python */
    }
  }
  return { numpy: found.find((p) => p.numpy) ?? null, torch: found.find((p) => p.torch) ?? null };
}

interface PeerAnswer {
  losses: number[];
  /** Training: the training loss of the epoch summaries of the verifying run. */
  summaries?: number[];
  numeric?: number[];
  units: number;
  samples?: number;
  times: number[];
  heldBytes?: number;
  peakBytes?: number;
  version: string;
  blas?: string;
}

let scratch = '';
/** Write the workload's arrays and spec, run the peer, parse its answer (null and a note when it fails). */
function runPeer(
  py: Python,
  script: string,
  spec: Record<string, unknown>,
  arrays: Record<string, Float64Array | Int32Array | null>,
): PeerAnswer | string {
  const files: Record<string, [string, string]> = {};
  for (const [key, a] of Object.entries(arrays)) {
    if (!a) continue;
    const name = `${key}.bin`;
    writeFileSync(join(scratch, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    files[key] = [name, a instanceof Float64Array ? '<f8' : '<i4'];
  }
  const specPath = join(scratch, 'spec.json');
  writeFileSync(specPath, JSON.stringify({ ...spec, files, reps: REPS, target_s: TARGET_S, verify: VERIFY }));
  const r = spawnSync(py.exe, [join(PEERS_DIR, script), specPath], {
    encoding: 'utf8',
    env: peerEnv(),
    cwd: PEERS_DIR,
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) return `failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  try {
    return JSON.parse(r.stdout) as PeerAnswer;
  } catch {
    return 'failed: no JSON answer';
  }
}

/** First index where b differs from a by more than MATCH relative, or −1. */
function mismatch(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= MATCH * Math.max(Math.abs(a[i]), 1e-300))) return i;
  }
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

let PY: { numpy: Python | null; torch: Python | null } = { numpy: null, torch: null };

// ---------------------------------------------------------------- training workloads

interface TrainWorkload {
  name: string;
  data: () => TrainData;
  config: Partial<TrainConfig>;
  /** What the rate counts: optimizer steps (updates/s, steps/s) or examples (samples/s). */
  unit: 'updates/s' | 'samples/s' | 'steps/s';
  /** Most steps a peer may run per repetition (the length of the index stream written for it). */
  peerSteps: number;
  probe: number;
  /**
   * How ours is driven: 'run' = Trainer.run() with maxSteps, a new Trainer per repetition (nobody watches the
   * steps; it ends with one evaluation of the training set, negligible for the per-sample workloads);
   * 'step' = Trainer.step() in a loop on one Trainer whose run the repetitions continue, as a user's run takes
   * its steps (the batched workloads, where a step weighs like the run's setup and that final evaluation would
   * weigh like several steps); the run's first step, which also sets up the kernels (their memory, the data
   * copied in, the worker threads started), is taken before the timing and its time reported. Both include
   * the Trainer's per-epoch summary (an evaluation of the training set at the end of every epoch), as the
   * peers do.
   */
  drive: 'run' | 'step';
}

function trainWorkload(w: TrainWorkload) {
  const d = w.data();
  const config: TrainConfig = { ...DEFAULT_CONFIG, ...w.config, epochs: 1e9, maxSteps: 0 };
  const B =
    config.optimizer === 'sgd' ? 1 : config.optimizer === 'batch' ? d.m : Math.min(config.batchSize, d.m);
  const theta0 = new Trainer(config, d).net.theta.slice();

  // Our losses and the stream of rows, from one untimed run that watches every step.
  const stream = config.optimizer === 'batch' ? 0 : w.peerSteps;
  const epochSteps = config.optimizer === 'sgd' ? d.m : Math.ceil(d.m / B);
  const idx: number[] = [],
    sizes: number[] = [],
    losses: number[] = [];
  let summaries: number[] = [];
  {
    const t = new Trainer({ ...config, maxSteps: Math.max(VERIFY, stream) }, d);
    t.run({
      onStep: (r) => {
        if (losses.length < VERIFY) losses.push(r.loss);
        if (stream) {
          for (const i of r.samples) idx.push(i);
          sizes.push(r.samples.length);
        }
      },
    });
    summaries = t.history.map((e) => e.train.loss);
  }

  // Ours: 'run': a new Trainer per repetition, Trainer.run() with nobody watching, maxSteps steps from θ0;
  // 'step': one Trainer's run continued, its first step (the setup) untimed.
  let run: Trainer | null = null;
  let firstStepMs = NaN;
  if (w.drive === 'step') {
    const t0 = now();
    run = new Trainer(config, d);
    run.step();
    firstStepMs = (now() - t0) * 1000;
  }
  const ours = measure(
    (steps) => {
      if (run) for (let s = 0; s < steps; s++) run.step();
      else new Trainer({ ...config, maxSteps: steps }, d).run();
    },
    1e9,
    w.probe,
  );
  run?.dispose();
  const r = rates(w.unit === 'samples/s' ? samplesOf(ours.units, B, d.m) : ours.units, ours.times);
  emit({
    workload: w.name,
    impl: `Backprop Lens Trainer.${w.drive}()`,
    unit: w.unit,
    ...r,
    perRep: run
      ? `${ours.units} steps of one run; its first step (the setup) ${firstStepMs.toFixed(0)} ms, untimed`
      : `${ours.units} steps`,
    ours: true,
  });

  for (const [peer, py, script] of [
    ['numpy', PY.numpy, 'numpy_peer.py'],
    ['PyTorch (1 thread)', PY.torch, 'torch_peer.py'],
  ] as const) {
    if (!py) continue;
    const spec = {
      kind: 'train',
      n: d.n,
      h: config.hidden,
      m: d.m,
      activation: config.activation,
      lr: config.lr,
      steps_max: config.optimizer === 'batch' ? 1e9 : sizes.length,
      probe: w.probe,
      epoch_steps: epochSteps,
      // the verifying run: the first losses and at least one epoch summary
      verify_steps: Math.min(config.optimizer === 'batch' ? 1e9 : sizes.length, Math.max(VERIFY, epochSteps)),
    };
    const a = runPeer(py, script, spec, {
      X: d.X,
      Y: d.Y,
      theta: theta0,
      idx: stream ? Int32Array.from(idx) : null,
      sizes: stream ? Int32Array.from(sizes) : null,
    });
    peerResult(
      w.name,
      peer,
      w.unit,
      a,
      losses,
      (ans) => (w.unit === 'samples/s' ? (ans.samples ?? ans.units * B) : ans.units),
      undefined,
      summaries,
    );
  }
}

/** Examples in `steps` mini-batch steps: epochs of ⌈m/B⌉ batches, the last one smaller. */
function samplesOf(steps: number, B: number, m: number): number {
  const perEpoch = Math.ceil(m / B);
  return Math.floor(steps / perEpoch) * m + (steps % perEpoch) * B;
}

function peerResult(
  workload: string,
  peer: string,
  unit: string,
  a: PeerAnswer | string,
  ourLosses: number[],
  count: (a: PeerAnswer) => number,
  numeric?: number[],
  summaries?: number[],
) {
  if (typeof a === 'string') {
    emit({ workload, impl: peer, unit, median: NaN, min: NaN, max: NaN, reps: 0, matches: false, note: a });
    return;
  }
  const bad = mismatch(ourLosses, a.losses);
  let note =
    bad < 0 ? undefined : `does not match: loss ${bad + 1} is ${a.losses[bad]}, ours ${ourLosses[bad]}`;
  if (!note && summaries) {
    const theirs = a.summaries ?? [];
    const e = theirs.length ? mismatch(summaries.slice(0, theirs.length), theirs) : 0;
    if (e >= 0)
      note = `does not match: epoch summary ${e + 1}'s training loss is ${theirs[e]}, ours ${summaries[e]}`;
  }
  if (!note && numeric && a.numeric) {
    let worst = 0,
      scale = 0;
    for (let i = 0; i < numeric.length; i++) {
      worst = Math.max(worst, Math.abs(numeric[i] - a.numeric[i]));
      scale = Math.max(scale, Math.abs(numeric[i]));
    }
    if (!(worst <= 1e-6 * scale))
      note = `does not match: numeric gradient differs by ${worst.toExponential(2)} (max |n| ${scale.toExponential(2)})`;
  }
  const r = rates(count(a), a.times);
  emit({
    workload,
    impl: `${peer} ${a.version}`,
    unit,
    ...r,
    perRep: `${a.units} ${unit === 'parameters/s' ? 'checks' : unit === 'MB/s' ? 'parses' : 'steps'}`,
    matches: !note,
    ...(note ? { note } : {}),
  });
}

// ---------------------------------------------------------------- gradient check

function gradcheckWorkload() {
  const name = 'gradient check n=30 h=32 batch 64';
  const n = 30,
    h = 32,
    m = 64;
  const d = randomData(m, n, 5);
  const t = new Trainer({ ...DEFAULT_CONFIG, hidden: h, batchSize: m }, d);
  const P = paramCount(n, h);
  const first = checkNetwork(t.net, d, m);
  const numeric = first.blocks.flatMap((b) => b.entries.map((e) => e.numeric));
  const loss = t.net.lossAndGrad(d.X, d.Y, null, m);
  const ours = measure((checks) => {
    for (let c = 0; c < checks; c++) checkNetwork(t.net, d, m);
  }, 1e6);
  emit({
    workload: name,
    impl: 'Backprop Lens checkNetwork',
    unit: 'parameters/s',
    ...rates(ours.units * P, ours.times),
    perRep: `${ours.units} checks of ${P} parameters, verdict ${first.verdict}`,
    ours: true,
  });
  for (const [peer, py, script] of [
    ['numpy', PY.numpy, 'numpy_peer.py'],
    ['PyTorch (1 thread)', PY.torch, 'torch_peer.py'],
  ] as const) {
    if (!py) continue;
    const a = runPeer(
      py,
      script,
      { kind: 'gradcheck', n, h, m, activation: t.config.activation, step: first.options.h },
      { X: d.X, Y: d.Y, theta: t.net.theta },
    );
    peerResult(name, peer, 'parameters/s', a, [loss], (ans) => ans.units * P, numeric);
  }
}

// ---------------------------------------------------------------- CSV

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

function csvWorkload() {
  const rowsN = QUICK ? 100_000 : 1_000_000;
  const text = csvText(rowsN, 21);
  const bytes = new TextEncoder().encode(text);
  const MB = bytes.length / 1e6;
  const name = `parse CSV ${rowsN.toLocaleString('en-US')}×21 (${MB.toFixed(0)} MB)`;
  let held = 0,
    numericMB = 0;
  const ours = measure(() => {
    const r = readDataset(bytes, 'bench.csv', { maxBytes: 2 ** 31 });
    if (!r.ok) throw new Error(r.error.message);
    // Memory: the bytes the result's typed arrays hold (their whole backing buffers, slack included).
    held =
      [...new Set([r.table.X.buffer, r.table.Y.buffer, r.table.lines.buffer])].reduce(
        (a, b) => a + b.byteLength,
        0,
      ) / 1e6;
    numericMB = (r.table.m * (r.table.n + 1) * 8 + r.table.m * 4) / 1e6;
  }, 1);
  emit({
    workload: name,
    impl: 'Backprop Lens readDataset (whole contract)',
    unit: 'MB/s',
    ...rates(MB, ours.times),
    memoryMB: held,
    note: `numeric payload ${numericMB.toFixed(0)} MB`,
    ours: true,
  });
  // JavaScript libraries on a 10% slice (they are slower; the rate is what compares). They split strings; only papaparse converts.
  const cut = text.slice(0, text.indexOf('\n', Math.floor(text.length / 10)) + 1);
  const cutMB = Buffer.byteLength(cut) / 1e6;
  const cutBuf = Buffer.from(cut);
  for (const [impl, f] of [
    ['csv-parse/sync (strings only)', () => csvParse(cutBuf)],
    ['papaparse (dynamicTyping)', () => Papa.parse(cut, { dynamicTyping: true })],
    ['d3-dsv csvParseRows (strings only)', () => csvParseRows(cut)],
  ] as const) {
    const m = measure(() => {
      f();
    }, 1);
    emit({ workload: name, impl, unit: 'MB/s', ...rates(cutMB, m.times) });
  }
  if (PY.numpy) {
    const path = join(scratch, 'bench.csv');
    writeFileSync(path, bytes);
    const a = runPeer(PY.numpy, 'numpy_peer.py', { kind: 'csv', path }, {});
    if (typeof a === 'string')
      emit({
        workload: name,
        impl: 'numpy.loadtxt',
        unit: 'MB/s',
        median: NaN,
        min: NaN,
        max: NaN,
        reps: 0,
        matches: false,
        note: a,
      });
    else
      emit({
        workload: name,
        impl: `numpy.loadtxt ${a.version}`,
        unit: 'MB/s',
        ...rates(MB, a.times),
        memoryMB: (a.heldBytes ?? 0) / 1e6,
        note: `peak ${((a.peakBytes ?? 0) / 1e6).toFixed(0)} MB while parsing (tracemalloc)`,
        matches: true,
      });
    rmSync(path, { force: true });
  }
}

// ---------------------------------------------------------------- .deriv and hostile inputs

function derivWorkload() {
  const seed = referenceDerivation('sigmoid');
  const m = measure((k) => {
    for (let i = 0; i < k; i++) checkDerivation(seed, { activation: 'sigmoid' });
  }, 1e6);
  const ms = m.times.map((t) => (t / m.units) * 1000);
  emit({
    workload: '.deriv check per keystroke (the reference derivation)',
    impl: 'Backprop Lens checkDerivation',
    unit: 'ms',
    median: median(ms),
    min: Math.min(...ms),
    max: Math.max(...ms),
    reps: ms.length,
    ours: true,
  });
}

function hostileWorkload() {
  const enc = new TextEncoder();
  const wide = enc.encode(
    Array.from({ length: 2001 }, (_, j) => `f${j}`).join(',') +
      '\n' +
      Array.from({ length: 200 }, (_, i) =>
        Array.from({ length: 2001 }, (_, j) => String(j === 2000 ? i % 2 : (i * j) % 9)).join(','),
      ).join('\n'),
  );
  const digits = enc.encode(`a,y\n1${'0'.repeat(99_999)},0\n1,1\n`);
  const garbage = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24);
  const deriv =
    Array.from({ length: 2000 }, (_, i) => `h${i} = a1 * ${i}`).join('\n') +
    '\n' +
    referenceDerivation('sigmoid');
  for (const [what, f] of [
    ['2,000-column CSV, 200 rows', () => readDataset(wide, 'w.csv')],
    ['100,000-digit cell (overflow error)', () => readDataset(digits, 'd.csv')],
    ['1 MB of binary garbage (encoding error)', () => readDataset(garbage, 'g.csv')],
    [
      '.deriv check, 2,000 helper lines + the reference derivation',
      () => checkDerivation(deriv, { activation: 'sigmoid' }),
    ],
  ] as const) {
    const m = measure((k) => {
      for (let i = 0; i < k; i++) (f as () => unknown)();
    }, 1e6);
    const ms = m.times.map((t) => (t / m.units) * 1000);
    emit({
      workload: `hostile: ${what}`,
      impl: 'Backprop Lens',
      unit: 'ms',
      median: median(ms),
      min: Math.min(...ms),
      max: Math.max(...ms),
      reps: ms.length,
      ours: true,
    });
  }
}

// ---------------------------------------------------------------- loss landscape

/** Loss evaluations per second of the landscape's evaluator (a grid is size² of them), the batched kernels against the reference Network. */
function landscapeWorkload() {
  const n = 20,
    h = 128,
    m = QUICK ? 2_000 : 10_000;
  const d = randomData(m, n, 6);
  const rng = new Rng(7);
  const theta = Float64Array.from({ length: paramCount(n, h) }, () => 0.1 * rng.normal());
  const d1 = filterNormalizedDirection(theta, n, h, rng),
    d2 = filterNormalizedDirection(theta, n, h, rng);
  for (const engine of ['auto', 'reference'] as const) {
    const J = evaluator(n, h, 'tanh', allRows(d), engine);
    const m3 = measure((k) => {
      for (let i = 0; i < k; i++) lossGrid(J, theta, d1, d2, { size: 3 });
    }, 1e6);
    J.dispose();
    emit({
      workload: `landscape: loss evaluations over ${m.toLocaleString('en-US')}×${n} rows, h=${h}`,
      impl: `Backprop Lens landscape evaluator (${engine === 'auto' ? 'batched kernels' : 'reference Network'})`,
      unit: 'evaluations/s',
      ...rates(9 * m3.units, m3.times),
      perRep: `${m3.units} 3×3 grids`,
      ours: true,
    });
  }
}

// ---------------------------------------------------------------- main

const WORKLOADS: [string, () => void][] = [
  [
    'sgd-small',
    () =>
      trainWorkload({
        name: 'per-sample SGD n=2 h=4, 400 points',
        data: () => randomData(400, 2, 1),
        config: { optimizer: 'sgd', hidden: 4 },
        unit: 'updates/s',
        peerSteps: 100_000,
        probe: 20_000,
        drive: 'run',
      }),
  ],
  [
    'sgd-wide',
    () =>
      trainWorkload({
        name: 'per-sample SGD n=30 h=64, 569 points',
        data: () => randomData(569, 30, 2),
        config: { optimizer: 'sgd', hidden: 64 },
        unit: 'updates/s',
        peerSteps: 50_000,
        probe: 2_000,
        drive: 'run',
      }),
  ],
  [
    'minibatch',
    () =>
      trainWorkload({
        name: `mini-batch ${QUICK ? '20,000' : '100,000'}×20 h=128 B=256`,
        data: () => randomData(QUICK ? 20_000 : 100_000, 20, 3),
        config: { optimizer: 'minibatch', hidden: 128, batchSize: 256 },
        unit: 'samples/s',
        peerSteps: QUICK ? 79 : 391,
        probe: 20,
        drive: 'step',
      }),
  ],
  [
    'fullbatch',
    () =>
      trainWorkload({
        name: 'full batch 10,000×100 h=256',
        data: () => randomData(10_000, 100, 4),
        config: { optimizer: 'batch', hidden: 256 },
        unit: 'steps/s',
        peerSteps: 0,
        probe: 1,
        drive: 'step',
      }),
  ],
  ['gradcheck', gradcheckWorkload],
  ['csv', csvWorkload],
  ['deriv', derivWorkload],
  ['hostile', hostileWorkload],
  ['landscape', landscapeWorkload],
];

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a >= 1e6
    ? `${(v / 1e6).toFixed(2)} M`
    : a >= 1e4
      ? `${(v / 1e3).toFixed(1)} k`
      : a >= 100
        ? v.toFixed(0)
        : a >= 1
          ? v.toFixed(2)
          : v.toPrecision(2);
}

function table() {
  const rows = [
    ['workload', 'implementation', 'median', 'spread (min–max)', 'ours ÷ numpy', 'ours ÷ PyTorch'],
  ];
  for (const r of results) {
    const peers = results.filter(
      (p) => p.workload === r.workload && p.matches && !p.ours && p.unit === r.unit,
    );
    const ratio = (lib: string) => {
      const p = peers.find((q) => q.impl.startsWith(lib));
      if (!r.ours || !p) return '';
      return `${fmt(r.unit === 'ms' ? p.median / r.median : r.median / p.median)}×`;
    };
    rows.push([
      r.workload,
      r.impl +
        (r.note ? ` (${r.note})` : '') +
        (r.memoryMB !== undefined ? ` [holds ${r.memoryMB.toFixed(0)} MB]` : ''),
      `${fmt(r.median)} ${r.unit}`,
      r.reps ? `${fmt(r.min)}–${fmt(r.max)}` : '',
      ratio('numpy'),
      ratio('PyTorch'),
    ]);
  }
  const w = rows[0].map((_, j) => Math.max(...rows.map((c) => c[j].length)));
  const line = (c: string[]) => '| ' + c.map((x, j) => x.padEnd(w[j])).join(' | ') + ' |';
  console.log(
    '\n' +
      [line(rows[0]), '|' + w.map((k) => '-'.repeat(k + 2)).join('|') + '|', ...rows.slice(1).map(line)].join(
        '\n',
      ),
  );
}

function main() {
  const chosen = WORKLOADS.filter(([id]) => SELECTED.length === 0 || SELECTED.some((s) => id.startsWith(s)));
  if (!chosen.length) {
    console.error(
      `no workload matches ${SELECTED.join(', ')}; the workloads: ${WORKLOADS.map(([id]) => id).join(', ')}`,
    );
    process.exit(1);
  }
  scratch = mkdtempSync(join(tmpdir(), 'bpl-bench-'));
  try {
    PY = findPythons();
    const cores = cpus();
    console.error(
      `machine: ${cores.length} × ${cores[0]?.model ?? '?'}, Node ${process.version}; ${QUICK ? 'quick: ' : ''}${REPS} repetitions of ~${TARGET_S} s after a warm-up`,
    );
    if (PY.numpy) console.error(`numpy ${PY.numpy.numpy} (${PY.numpy.exe}), BLAS: ${PY.numpy.blas}`);
    else
      console.error('numpy: not installed for python3 (bash scripts/setup-peers.sh), its rows are left out');
    if (PY.torch) console.error(`PyTorch ${PY.torch.torch} (${PY.torch.exe}), one thread`);
    else
      console.error(
        'PyTorch: not installed for python3 (bash scripts/setup-peers.sh), its rows are left out',
      );
    const t0 = now();
    for (const [, run] of chosen) run();
    table();
    console.error(`\n${(now() - t0).toFixed(0)} s`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
