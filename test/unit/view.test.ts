import { strict as assert } from 'node:assert';
import { layout } from '../../src/core/network';
import { DEFAULT_SETTINGS } from '../../src/core/settings';
import { DEFAULT_CONFIG, type EpochSummary, Trainer } from '../../src/core/trainer';
import { flower } from '../../src/data/synthetic';
import { type Boundary, type DatasetInfo, decodeF64, decodeStep } from '../../src/protocol';
import {
  type InspectedRun,
  liveSnapshot,
  liveUpdate,
  panelRun,
  SentArrays,
  storedSnapshot,
} from '../../src/panel/view';
import { PlotHistory, RunSeries, SPREAD_SAMPLE, SPREAD_WIDTH, Spreads } from '../../src/panel/history';
import { initialState, reduce } from '../../media/state';
import type { RunRecord } from '../../src/training/store';
import { compareHtml, landscapeSvg, ticks, yRange } from '../../src/panel/compare';
import { contourSegments, percentiles, smooth } from '../../src/panel/format';
import { describeSecondsLeft, secondsLeft, stepsPerEpoch } from '../../src/core/progress';

const epoch = (e: number): EpochSummary => ({
  epoch: e,
  step: 10 * e,
  train: { loss: 1 / e, accuracy: 0.5, misclassified: 3, m: 10 },
  test: null,
  gradNorm: e,
  params: { W: [1, 2, 3, 4], dW: [0, 0, 0, 0], ratio: [0, 0, 0, 0] },
});

describe('inspector view model', () => {
  it('plotted history: at most the limit, exactly the epochs that are multiples of the stride, the stride the smallest power of two that fits', () => {
    for (const total of [1, 7, 8, 9, 100, 1000, 4097]) {
      const max = 8;
      const plot = new PlotHistory(max);
      for (let e = 1; e <= total; e += 3) plot.add([e, e + 1, e + 2].filter((x) => x <= total).map(epoch)); // in uneven batches
      // Independent: the smallest power-of-two stride s with ⌊total/s⌋ ≤ max.
      let s = 1;
      while (Math.floor(total / s) > max) s *= 2;
      const want = Array.from({ length: Math.floor(total / s) }, (_, i) => (i + 1) * s);
      assert.equal(plot.stride, s, `stride after ${total} epochs`);
      assert.deepEqual(
        plot.entries.map((p) => p.epoch),
        want,
        `points after ${total} epochs`,
      );
    }
  });

  /** A live run as the panel sees it (mutable here: the tests move θ along), with a dataset of n features, K outputs. */
  const liveRun = (id: string, n = 2, K = 1, theta = new Float64Array(0)) =>
    ({
      id,
      fileName: 'f.csv',
      phase: 'running',
      shown: { phase: 'running', progress: null },
      config: { ...DEFAULT_CONFIG, hidden: 3 },
      progress: null,
      result: null,
      dataset: { features: Array.from({ length: n }, (_, i) => `x${i}`), K } as DatasetInfo,
      theta,
      last: null,
      boundary: null,
      notice: null,
      derivationFile: null,
      warnings: [],
      failure: null,
    }) as { -readonly [k in keyof InspectedRun]: InspectedRun[k] };

  /** What the panel does: a snapshot (the series claimed and held), then an update per call of `update`. */
  function webviewOf(run: InspectedRun, series: RunSeries, sent = new SentArrays()) {
    const s = initialState();
    series.claim(run);
    series.markHeld();
    reduce(s, liveSnapshot(run, series, null));
    let seq = 0;
    /** The effect on the webview, and the update's boundary (what went on the wire). */
    const update = () => {
      const m = liveUpdate(++seq, run, series, sent);
      return Object.assign(reduce(s, m), { boundary: m.run.boundary });
    };
    return { s, update };
  }

  it('updates follow the stride: when it doubles, the webview thins its copy and holds exactly the host points, no snapshot', () => {
    const run = liveRun('r');
    const series = new RunSeries(8, 8);
    const { s, update } = webviewOf(run, series);
    let next = 1;
    // Uneven batches of epochs, an update after some of them only (several doublings may come between two updates).
    for (const batch of [1, 2, 5, 1, 9, 3, 1, 17, 2, 40, 1, 1, 100, 7, 300, 5]) {
      series.follow(run, {
        step: 10 * (next + batch - 1),
        epochs: Array.from({ length: batch }, () => epoch(next++)),
      });
      if (batch % 2 === 0) continue;
      const effect = update();
      assert.equal(effect.resync, false, `after epoch ${next - 1}`);
      assert.equal(effect.rebuild, false);
      // Independent: the epochs that are multiples of the smallest power-of-two stride that keeps at most 8.
      let stride = 1;
      while (Math.floor((next - 1) / stride) > 8) stride *= 2;
      const want = Array.from({ length: Math.floor((next - 1) / stride) }, (_, i) => (i + 1) * stride);
      assert.deepEqual(s.curves.epoch, want, `epochs after epoch ${next - 1}`);
      assert.deepEqual(
        s.curves.trainLoss,
        want.map((e) => 1 / e),
      ); // 1/e is the train loss, e the ‖∇‖, 10e the step
      assert.deepEqual(s.curves.gradNorm, want);
      assert.deepEqual(
        s.norms.step,
        want.map((e) => 10 * e),
      );
      assert.deepEqual(
        s.norms.W[3],
        want.map(() => 4),
      );
    }
    assert.ok(series.plot.stride >= 32, `the run doubled the stride several times (${series.plot.stride})`);
  });

  it('distributions: the host records the spreads of θ and the gradient per report; the webview holds the same columns through thinning', () => {
    // n=2, h=3, K=1: W1 (6 entries) b1 (3) W2 (3) b2 (1); θ = 1..13, the gradient = −θ.
    const theta = Float64Array.from({ length: 13 }, (_, i) => i + 1);
    const grad = theta.map((x) => -x);
    const d = new Spreads(8);
    d.record(0, 2, 3, 1, new Float64Array(5), grad); // θ not of the run's shapes yet: nothing
    d.record(0, 2, 3, 1, theta, null); // no step record yet: the gradient's spreads are unknown
    d.record(0, 2, 3, 1, theta, grad); // the same step again: nothing new
    assert.equal(d.entries.length, 1);
    const P = 9; // TensorBoard's percentiles 0, 6.68, …, 50, …, 100
    const q0 = d.entries[0].q;
    assert.equal(q0.length, SPREAD_WIDTH);
    // By hand: W1 holds 1..6, so its minimum is 1, its median 3.5, its maximum 6; b2 is the single entry 13.
    assert.deepEqual([q0[0], q0[4], q0[8]], [1, 3.5, 6]);
    assert.ok(q0.subarray(P, 2 * P).every(Number.isNaN), 'no gradient: NaN');
    assert.deepEqual(Array.from(q0.subarray(6 * P, 7 * P)), Array(9).fill(13));
    // 15.87th percentile of b1 = 7, 8, 9: rank 0.3174 → 7.3174.
    assert.ok(Math.abs(q0[2 * P + 2] - 7.3174) < 1e-12);
    d.record(1, 2, 3, 1, theta, grad);
    assert.deepEqual([d.entries[1].q[P], d.entries[1].q[P + 8]], [-6, -1], 'dW1 spans −6 … −1');
    // A parameter too big to sort at every report is summarized by SPREAD_SAMPLE evenly spaced entries: 0..N−1.
    const N = 3 * SPREAD_SAMPLE;
    const big = new Spreads();
    big.record(
      1,
      N,
      1,
      1,
      Float64Array.from({ length: N + 3 }, (_, i) => i),
      null,
    );
    const qb = big.entries[0].q;
    assert.equal(qb[0], 0);
    assert.equal(qb[8], N - 3, 'the last sampled entry');
    assert.ok(Math.abs(qb[4] - (N - 3) / 2) < 2, `median ${qb[4]} near ${(N - 3) / 2}`);

    // Thinning: many reports, updates after some of them; the webview's columns are the host's.
    const run = liveRun('r', 2, 1, theta);
    const series = new RunSeries(2000, 8);
    const { s, update } = webviewOf(run, series);
    let step = 0;
    let reports = 0;
    let before = '';
    for (const batch of [1, 3, 2, 9, 1, 30, 5, 70, 1]) {
      for (let i = 0; i < batch; i++) {
        step += 7;
        reports++;
        run.theta = theta.map((x) => x * step);
        series.follow(run, { step, epochs: [] });
      }
      const effect = update();
      assert.equal(effect.resync, false, `at step ${step}`);
      // Independent: reports 1, 1 + s, 1 + 2s, … (the first always: the initial θ) for the smallest power-of-two s
      // that keeps at most 8; report r is at step 7r.
      let want = 1;
      while (Math.floor((reports - 1) / want) + 1 > 8) want *= 2;
      const steps = Array.from(
        { length: Math.floor((reports - 1) / want) + 1 },
        (_, k) => 7 * (1 + k * want),
      );
      assert.deepEqual(s.spreads.step, steps, `steps after ${reports} reports`);
      // The column at step t has W1's maximum 6t.
      assert.deepEqual(
        s.spreads.q.map((q) => q[8]),
        steps.map((t) => 6 * t),
      );
      // Drawn again exactly when the columns changed.
      assert.equal(
        effect.redraw.includes('distributions'),
        before !== steps.join(),
        `redraw at ${reports} reports`,
      );
      before = steps.join();
    }
    assert.ok(series.spreads.stride >= 8, `the stride doubled several times (${series.spreads.stride})`);
    assert.equal(s.spreads.step[0], 7, 'the first report stays through every thinning');
  });

  it("updates send the boundary's per-point arrays only when they change; the webview keeps what it has", () => {
    const px = Float64Array.from({ length: 40 }, (_, i) => i / 7);
    const boundaryWith = (correct: number[], projection: Float64Array | null): Boundary => ({
      mode: projection ? 'pca' : 'features',
      i: 0,
      j: 1,
      G: 2,
      x0: 0,
      x1: 1,
      y0: 0,
      y1: 1,
      p: Float64Array.of(0.1, 0.2, 0.3, 0.4),
      pk: null,
      units: null,
      correct: Float64Array.from(correct),
      px: projection,
      explained: projection ? [0.6, 0.3] : null,
    });
    const run = liveRun('r');
    run.boundary = boundaryWith([1, 0, 1], px);
    const series = new RunSeries();
    const { s, update: send } = webviewOf(run, series);
    const update = () => send().boundary;
    // The first update after the snapshot sends everything (the host forgot what it had sent: SentArrays is new).
    assert.notEqual(update()!.px, 'unchanged');
    // The same arrays (new objects, equal values): 'unchanged', and the webview keeps its own.
    run.boundary = boundaryWith([1, 0, 1], px.slice());
    const b1 = update()!;
    assert.equal(b1.px, 'unchanged');
    assert.equal(b1.correct, 'unchanged');
    assert.deepEqual(Array.from(s.boundary!.px!), Array.from(px));
    assert.deepEqual(Array.from(s.boundary!.correct), [1, 0, 1]);
    // A point now classified right: correct is sent again, the projection still not.
    run.boundary = boundaryWith([1, 1, 1], px.slice());
    const b2 = update()!;
    assert.equal(b2.px, 'unchanged');
    assert.notEqual(b2.correct, 'unchanged');
    assert.deepEqual(Array.from(s.boundary!.correct), [1, 1, 1]);
    // The plane of two features (no projection), then the projection again: sent again in full.
    run.boundary = boundaryWith([1, 1, 1], null);
    assert.equal(update()!.px, null);
    assert.equal(s.boundary!.px, null);
    run.boundary = boundaryWith([1, 1, 1], px.slice());
    assert.notEqual(update()!.px, 'unchanged');
    assert.deepEqual(Array.from(s.boundary!.px!), Array.from(px));
    // No boundary, then one: everything is sent.
    run.boundary = null;
    update();
    run.boundary = boundaryWith([1, 1, 1], px.slice());
    const b3 = update()!;
    assert.notEqual(b3.px, 'unchanged');
    assert.notEqual(b3.correct, 'unchanged');
    assert.deepEqual(Array.from(s.boundary!.correct), [1, 1, 1]);
  });

  it('a resumed run (the same id, another run) starts its series again: its history once, no columns of the old run', () => {
    const theta = Float64Array.from({ length: 13 }, (_, i) => i + 1);
    const first = liveRun('r', 2, 1, theta);
    const series = new RunSeries();
    series.follow(first, { step: 10, epochs: [epoch(1)] });
    series.follow(first, { step: 20, epochs: [epoch(2)] });
    const generation = series.generation;
    // Resumed from its checkpoint at step 20: a new Run object, whose first report carries the whole history.
    const resumed = liveRun('r', 2, 1, theta);
    assert.equal(series.of(resumed), false, 'the panel sends a snapshot');
    series.follow(resumed, { step: 20, epochs: [epoch(1), epoch(2)] });
    series.follow(resumed, { step: 30, epochs: [epoch(3)] });
    assert.ok(series.of(resumed) && series.generation !== generation);
    assert.deepEqual(
      series.plot.entries.map((e) => e.epoch),
      [1, 2, 3],
    );
    assert.deepEqual(
      series.spreads.entries.map((c) => c.step),
      [20, 30],
    );
    // A reset (step 0) of the same run starts again too.
    series.follow(resumed, { step: 0, epochs: [] });
    assert.deepEqual(series.plot.entries, []);
    assert.deepEqual(
      series.spreads.entries.map((c) => c.step),
      [0],
    );
  });

  it('a live run: θ, the step record and the boundary survive the trip through the wire form exactly, NaN and ±∞ included', () => {
    const P = flower(1, 40);
    const t = new Trainer({ ...DEFAULT_CONFIG, hidden: 3, epochs: 2 }, { X: P.X, Y: P.Y, m: 40, n: 2 });
    const r = t.step()!;
    r.grad[0] = NaN;
    r.delta[1] = -Infinity;
    const run: InspectedRun = {
      id: 'a',
      fileName: 'f.csv',
      phase: 'paused',
      shown: { phase: 'paused', progress: null },
      config: t.config,
      progress: null,
      result: null,
      dataset: null,
      theta: t.net.theta,
      last: r,
      boundary: {
        mode: 'features',
        i: 0,
        j: 1,
        G: 2,
        x0: 0,
        x1: 1,
        y0: 0,
        y1: 1,
        p: Float64Array.of(0.1, Infinity, 0.3, NaN),
        units: null,
        correct: Float64Array.of(1, 0),
        px: null,
        explained: null,
      },
      notice: null,
      derivationFile: 'my.deriv',
      failure: null,
      warnings: [],
    };
    const p = panelRun(run, 4);
    assert.deepEqual(Array.from(decodeF64(p.theta)), Array.from(t.net.theta));
    const back = decodeStep(p.last!);
    assert.ok(Number.isNaN(back.grad[0]) && back.delta[1] === -Infinity);
    assert.deepEqual(Array.from(back.a1), Array.from(r.a1));
    assert.equal(back.z2, r.z2);
    assert.equal(back.sampleCount, r.samples.length);
    assert.deepEqual(Array.from(decodeF64(p.boundary!.p)).map(String), ['0.1', 'Infinity', '0.3', 'NaN']);
    assert.equal(p.derivation, 'my.deriv');
    assert.equal(p.historyStride, 4);
    const series = new RunSeries();
    series.plot.add([epoch(1), epoch(2)]);
    const snap = liveSnapshot(run, series, null);
    assert.deepEqual(Array.from(decodeF64(snap.history!.trainLoss)), [1, 0.5]);
    assert.deepEqual(Array.from(decodeF64(snap.norms!.W[2])), [3, 3]);
  });

  it('a failed run says so: status failed and the reason, not "starting" with no text', () => {
    const run: InspectedRun = {
      id: 'f',
      fileName: 'bad.csv',
      phase: 'failed',
      shown: { phase: 'failed', progress: null },
      config: DEFAULT_CONFIG,
      progress: null,
      result: null,
      dataset: null,
      theta: new Float64Array(0),
      last: null,
      boundary: null,
      notice: null,
      derivationFile: null,
      warnings: [],
      failure: "line 3: column 'x1' has an invalid number: 'oops'",
    };
    const p = panelRun(run, 1);
    assert.equal(p.status, 'failed');
    assert.equal(p.reason, "line 3: column 'x1' has an invalid number: 'oops'");
  });

  it('a stored run is rebuilt from its record, trainer state and history: not live, no step, the columns as recorded', () => {
    const P = flower(1, 40);
    const t = new Trainer({ ...DEFAULT_CONFIG, hidden: 3, epochs: 3 }, { X: P.X, Y: P.Y, m: 40, n: 2 });
    t.run();
    const state = t.getState();
    const record = {
      version: 1,
      id: 'r',
      dataset: { uri: 'file:///f.csv', name: 'f.csv', hash: 'h' },
      derivation: null,
      source: { kind: 'settings' },
      settings: DEFAULT_SETTINGS,
      seed: 1,
      initialTheta: null,
      startedAt: '',
      updatedAt: '',
      endedAt: '',
      status: 'completed',
      reason: 'done',
      divergence: null,
      progress: { step: state.step, epoch: state.epoch },
      train: null,
      test: null,
      columns: { features: ['<b>a</b>', 'b'], label: 'y', trainRows: 40, testRows: 0 },
      owner: { pid: 1, session: 's' },
      resumes: 0,
    } satisfies RunRecord;
    const s = storedSnapshot(record, { ...state, history: [] }, state.history);
    assert.equal(s.restored, true);
    assert.equal(s.run!.live, false);
    assert.equal(s.run!.last, null);
    assert.deepEqual(s.run!.features, ['<b>a</b>', 'b'], 'names verbatim');
    assert.equal(s.run!.step, t.stepCount);
    assert.deepEqual(Array.from(decodeF64(s.run!.theta)), Array.from(t.net.theta));
    assert.deepEqual(Array.from(decodeF64(s.history!.epoch)), [1, 2, 3]);
    assert.equal(
      decodeF64(s.run!.theta).length,
      layout(2, 3).reduce((a, b) => a + b.rows * b.cols, 0),
    );
  });
});

describe('Compare Runs page', () => {
  it('a flat curve gets a padded axis (never 1.00 to 1.00) with five ticks; names are escaped', () => {
    assert.deepEqual(yRange([1, 1, 1]), [0.95, 1.05]);
    assert.deepEqual(yRange([0, 0]), [-0.01, 0.01]);
    assert.deepEqual(yRange([0.2, 0.8]), [0.2, 0.8]);
    assert.deepEqual(ticks(0, 1), [0, 0.25, 0.5, 0.75, 1]);
    const record = (name: string) => ({
      record: {
        dataset: { name },
        settings: DEFAULT_SETTINGS,
        seed: 1,
        status: 'completed',
        startedAt: '2026-01-01T00:00:00Z',
      } as unknown as RunRecord,
      history: [1, 2, 3].map((e) => ({
        epoch: e,
        train: { loss: 1 / e, accuracy: 1 },
        test: { loss: 1 / e, accuracy: 1 },
      })),
    });
    const html = compareHtml('vscode-resource:', 'x.css', [
      record('<img src=x onerror=alert(1)>.csv'),
      record('b.csv'),
    ]);
    assert.ok(!html.includes('<img'), 'escaped');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;.csv'));
    const accuracyTicks = [...html.matchAll(/<text class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    assert.ok(
      accuracyTicks.includes('0.950') && accuracyTicks.includes('1.05'),
      `ticks: ${accuracyTicks.join(' ')}`,
    );
    assert.ok(!/>1\.00<\/text><text[^>]*>1\.00</.test(html));
  });
});

describe('the race page', () => {
  it('draws the shared landscape as inline SVG (no script), one path per run in its colour', () => {
    const l = {
      size: 3,
      a: [-1, 0, 1],
      b: [-1, 0, 1],
      loss: [3, 2, 3, 2, 1, 2, 3, 2, 3],
      explained: [0.9, 0.1] as [number, number],
      paths: [
        [0, 0, 0.5, 0.5],
        [0, 0, -0.5, 0.2],
      ],
    };
    const svg = landscapeSvg(l);
    assert.equal((svg.match(/<rect /g) ?? []).length, 9);
    assert.ok(svg.includes('class="run0"') && svg.includes('class="run1"'));
    assert.ok(!/<script/i.test(svg));
    // The centre cell (the lowest loss) is the bluest.
    assert.ok(svg.includes('rgb(55,148,255)'));
  });
});

describe('webview helpers (pure parts)', () => {
  it('contour segments: on a cone the level set is where the level is, between the cells that straddle it', () => {
    // loss = distance from the centre of a 5×5 grid; the level 1.5 crosses the edges between distances 1 and 2.
    const size = 5,
      c = 2;
    const loss = Array.from({ length: size * size }, (_, k) =>
      Math.hypot((k % size) - c, Math.floor(k / size) - c),
    );
    const s = contourSegments(loss, size, 1.5);
    assert.ok(s.length > 0 && s.length % 4 === 0);
    for (let q = 0; q < s.length; q += 2) {
      const r = Math.hypot(s[q] - c, s[q + 1] - c);
      assert.ok(r > 1 && r < 2.3, `point at distance ${r}`);
    }
    assert.deepEqual(contourSegments(loss, size, 100), [], 'no line above the highest value');
  });

  it('percentiles interpolate between order statistics and leave out NaN and ±∞', () => {
    // 0..100: the p-th percentile is p itself.
    const v = Array.from({ length: 101 }, (_, i) => 100 - i);
    assert.deepEqual(
      Array.from(percentiles(v, [0, 6.68, 50, 93.32, 100])).map((x) => Number(x.toFixed(10))),
      [0, 6.68, 50, 93.32, 100],
    );
    assert.deepEqual(Array.from(percentiles([3, NaN, 1, Infinity, 2], [0, 50, 100])), [1, 2, 3]);
    assert.deepEqual(Array.from(percentiles([1, 2], [25])), [1.25]);
    assert.ok(percentiles([NaN], [50]).every(Number.isNaN));
  });

  it('smoothing is the debiased exponential moving average (TensorBoard), off at weight 0', () => {
    assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
    // Hand values for weight 0.5: debiased EMA = (Σ 0.5^(t−i)·(1−0.5)·x_i) / (1 − 0.5^t).
    const s = smooth([2, 4, 8], 0.5);
    assert.deepEqual(
      s.map((x) => Number(x.toFixed(12))),
      [
        2,
        Number(((0.25 * 2 + 0.5 * 4) / 0.75).toFixed(12)),
        Number(((0.125 * 2 + 0.25 * 4 + 0.5 * 8) / 0.875).toFixed(12)),
      ],
    );
    assert.ok(Number.isNaN(smooth([1, NaN, 3], 0.9)[1]));
  });
});

describe('progress and time left', () => {
  it('steps per epoch are what a Trainer takes in one epoch, for every optimizer', () => {
    const P = flower(1, 50);
    for (const optimizer of ['sgd', 'batch', 'minibatch', 'momentum', 'rmsprop', 'adam'] as const) {
      const t = new Trainer(
        { ...DEFAULT_CONFIG, optimizer, batchSize: 8, hidden: 2, epochs: 3 },
        { X: P.X, Y: P.Y, m: 50, n: 2 },
      );
      let steps = 0;
      while (t.epoch < 1 && t.step()) steps++;
      assert.equal(stepsPerEpoch(t.config, 50), steps, optimizer);
    }
  });

  it('time left: the steps left at the measured rate, capped by the step limit; unknown without a rate', () => {
    const c = { optimizer: 'minibatch', batchSize: 10, epochs: 4, maxSteps: 0 } as const;
    assert.equal(secondsLeft(c, 100, 10, 5), (40 - 10) / 5);
    assert.equal(secondsLeft({ ...c, maxSteps: 20 }, 100, 10, 5), 2);
    assert.equal(secondsLeft(c, 100, 10, 0), null);
    assert.equal(secondsLeft(c, 100, 40, 5), null);
    assert.equal(describeSecondsLeft(125), 'about 2 min left');
    assert.equal(describeSecondsLeft(0.2), 'about 1 s left');
  });
});
