/**
 * What the inspector plots over a run, kept by the host whether or not the panel is open: the epoch summaries
 * (curves, norms) and the spreads of every parameter's values and gradients (the distributions). Both are thinned
 * series: at most `max` entries, those whose key is a multiple of `stride`; when full, the stride doubles and every
 * other entry goes. Each also knows what the webview holds, so that an update carries only the entries after those,
 * with the stride; the webview thins its copy by the same rule (media/state.ts), and a doubling costs no snapshot.
 */
import { PARAM_NAMES, layout, paramCount } from '../core/network';
import type { EpochSummary } from '../core/trainer';
import type { Progress } from '../protocol';
import { PERCENTILES, percentiles } from './format';

export class Thinned<T> {
  entries: T[] = [];
  stride = 1;
  /** Changes when the series starts again (then the panel sends a snapshot). */
  generation = 0;
  /** The webview's copy: how many entries, the last one's key, at which stride. */
  private held = { count: 0, last: 0, stride: 1 };

  constructor(
    private readonly key: (t: T) => number,
    private readonly max: number,
  ) {}

  add(items: readonly T[]): void {
    for (const t of items) {
      if (this.key(t) % this.stride !== 0) continue;
      this.entries.push(t);
      if (this.entries.length > this.max) {
        this.stride *= 2;
        this.entries = this.entries.filter((x) => this.key(x) % this.stride === 0);
      }
    }
  }

  /** The entries the webview lacks, and where they go in its copy once thinned to `stride`; held from now on. */
  unsent(): { from: number; entries: T[] } {
    let from = this.held.count;
    if (this.held.stride !== this.stride) {
      // The webview keeps, of what it holds, exactly the entries still here: those up to its last key.
      from = this.entries.length;
      while (from > 0 && this.key(this.entries[from - 1]) > this.held.last) from--;
    }
    const entries = this.entries.slice(from);
    this.markHeld();
    return { from, entries };
  }

  /** The webview holds every entry (it was sent a snapshot). */
  markHeld(): void {
    const last = this.entries.at(-1);
    this.held = { count: this.entries.length, last: last ? this.key(last) : 0, stride: this.stride };
  }

  /** A fresh series (a new run, or a reset). */
  clear(): void {
    this.entries = [];
    this.stride = 1;
    this.generation++;
    this.markHeld();
  }
}

/** Most epoch summaries the inspector plots. */
export const PLOT_POINTS = 2000;

/** The plotted epoch summaries of one run: the epochs that are multiples of the stride. */
export class PlotHistory extends Thinned<EpochSummary> {
  constructor(max = PLOT_POINTS) {
    super((e) => e.epoch, max);
  }
}

/** Most spread columns kept. */
export const SPREAD_COLUMNS = 400;
/** Percentiles of a parameter with more entries are taken over this many, evenly spaced (a few ms per report at most). */
export const SPREAD_SAMPLE = 4096;
/** Numbers per column: for each parameter (PARAM_NAMES order), the percentiles of its values, then of its gradient. */
export const SPREAD_WIDTH = PARAM_NAMES.length * 2 * PERCENTILES.length;

/** One column of the distributions: the spreads at one shown step (`n` numbers the columns recorded in the run, from 0). */
export interface SpreadColumn {
  n: number;
  step: number;
  /** SPREAD_WIDTH numbers; a gradient not known (no step record yet) is NaN. */
  q: Float64Array;
}

/** The spreads of θ and of the shown step's gradient, a column per report whose step is new (TensorBoard's distributions). */
export class Spreads extends Thinned<SpreadColumn> {
  private count = 0;
  private lastStep = -1;

  constructor(max = SPREAD_COLUMNS) {
    super((c) => c.n, max);
  }

  override clear(): void {
    super.clear();
    this.count = 0;
    this.lastStep = -1;
  }

  /** θ and the gradient (laid out as core/network's layout) at `step`; a step already recorded adds nothing. */
  record(
    step: number,
    n: number,
    h: number,
    K: number,
    theta: Float64Array,
    grad: Float64Array | null,
  ): void {
    if (step === this.lastStep || theta.length !== paramCount(n, h, K)) return; // not yet the run's shapes
    this.lastStep = step;
    const col = this.count++; // from 0: the first column (the initial θ) is a multiple of every stride, and stays
    if (col % this.stride !== 0) return; // thinned away at once: not worth computing
    const P = PERCENTILES.length;
    const q = new Float64Array(SPREAD_WIDTH).fill(NaN);
    layout(n, h, K).forEach((b, i) => {
      const size = b.rows * b.cols;
      q.set(percentiles(sample(theta.subarray(b.offset, b.offset + size))), 2 * i * P);
      if (grad?.length === theta.length)
        q.set(percentiles(sample(grad.subarray(b.offset, b.offset + size))), (2 * i + 1) * P);
    });
    this.add([{ n: col, step, q }]);
  }
}

/** At most SPREAD_SAMPLE entries, evenly spaced (all of them when there are fewer). */
function sample(v: Float64Array): Float64Array {
  if (v.length <= SPREAD_SAMPLE) return v;
  const out = new Float64Array(SPREAD_SAMPLE);
  for (let i = 0; i < SPREAD_SAMPLE; i++) out[i] = v[Math.floor((i * v.length) / SPREAD_SAMPLE)];
  return out;
}

/** What the series read of a run (the panel's SeriesRun has it; no import of the view model here: the webview imports this file). */
export interface SeriesRun {
  readonly config: { readonly hidden: number };
  readonly dataset: { readonly features: readonly string[]; readonly K: number } | null;
  readonly theta: Float64Array;
  readonly last: { readonly grad: Float64Array } | null;
}

/**
 * The plotted series of the run the inspector follows: its epochs and its spreads. They start again for another run —
 * a resumed run keeps its id but is another Run, whose first report carries its whole history — and for a reset.
 */
export class RunSeries {
  readonly plot: PlotHistory;
  readonly spreads: Spreads;
  private run: SeriesRun | null = null;

  constructor(plotMax = PLOT_POINTS, spreadMax = SPREAD_COLUMNS) {
    this.plot = new PlotHistory(plotMax);
    this.spreads = new Spreads(spreadMax);
  }

  /** One progress report of `run`. */
  follow(run: SeriesRun, progress: Pick<Progress, 'step' | 'epochs'>): void {
    if (run !== this.run || progress.step === 0) this.restart(run);
    this.plot.add(progress.epochs);
    const d = run.dataset;
    if (d)
      this.spreads.record(
        progress.step,
        d.features.length,
        run.config.hidden,
        d.K,
        run.theta,
        run.last?.grad ?? null,
      );
  }

  /** Whether the series are `run`'s. */
  of(run: SeriesRun): boolean {
    return run === this.run;
  }

  /** Make the series `run`'s (empty, when they were another run's). */
  claim(run: SeriesRun): void {
    if (run !== this.run) this.restart(run);
  }

  /** Changes when the series start again (then the webview needs a snapshot). */
  get generation(): number {
    return this.plot.generation;
  }

  /** What the webview lacks of both series (see Thinned.unsent). */
  unsent(): {
    history: { from: number; entries: EpochSummary[] };
    spreads: { from: number; entries: SpreadColumn[] };
  } {
    return { history: this.plot.unsent(), spreads: this.spreads.unsent() };
  }

  /** The webview holds everything (a snapshot). */
  markHeld(): void {
    this.plot.markHeld();
    this.spreads.markHeld();
  }

  private restart(run: SeriesRun): void {
    this.plot.clear();
    this.spreads.clear();
    this.run = run;
  }
}
