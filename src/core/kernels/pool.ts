/**
 * Worker threads that take chunks of a batch on one shared WebAssembly.Memory.
 *
 * Hand-off: a control block of Int32 words in the shared memory. The caller writes the
 * job (argument block, chunk count), resets the done counter and the claim word, bumps
 * the generation and notifies; every thread, the caller included, claims chunk indices
 * until none is left, and the caller then sleeps in Atomics.wait until every chunk is
 * done. The claim word holds the job's generation beside the next index and a claim is a
 * compare-and-swap on both, so a worker that wakes late for an old job can never take
 * (and compute twice) a chunk of the next one. Which thread computes which chunk does not matter: each chunk
 * writes its own partial gradient and the caller adds them in chunk order, so the
 * result is the same bits with 1 thread or 8, and a worker that starts late only means
 * the caller takes more chunks itself. Workers are unref'd (they never keep a process
 * alive) and ended by dispose().
 */

// Node's modules come through process.getBuiltinModule (Node ≥ 20.16), not an import, so
// that this file also type-checks where only the DOM is declared (the webview's project
// sees the trainer's types); without them there is one thread.
interface WorkerLike {
  unref(): void;
  on(event: 'error', listener: (e: unknown) => void): void;
  terminate(): Promise<number>;
}
interface NodeModules {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => WorkerLike;
  availableParallelism: () => number;
}
let nodeModules: NodeModules | null | undefined;
function node(): NodeModules | null {
  if (nodeModules === undefined) {
    const proc = (globalThis as unknown as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const wt = proc?.getBuiltinModule?.('node:worker_threads') as
      | { Worker?: NodeModules['Worker'] }
      | undefined;
    const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
    nodeModules =
      wt?.Worker && os?.availableParallelism
        ? { Worker: wt.Worker, availableParallelism: os.availableParallelism }
        : null;
  }
  return nodeModules;
}

/** Words of the control block (Int32 indices). NEXT = (generation mod 2¹⁵)·2¹⁶ + next chunk index. */
const GEN = 0,
  NEXT = 1,
  DONE = 2,
  CHUNKS = 3,
  ARGS = 4,
  QUIT = 5,
  BY_WORKERS = 6;
export const CONTROL_BYTES = 32;

/** The default thread count: the machine's cores, at most 4. */
export function defaultThreads(): number {
  const n = node();
  return n ? Math.max(1, Math.min(4, n.availableParallelism())) : 1;
}

/** threads setting → thread count (0: the default). */
export function resolveThreads(threads: number | undefined): number {
  return threads && threads > 0 ? Math.floor(threads) : defaultThreads();
}

/**
 * The next chunk of job `gen`, or −1 when it has none left or a newer job has started.
 * (Self-contained: the workers run its source. NEXT = 1, CHUNKS = 3.)
 */
function claim(ctrl: Int32Array, gen: number): number {
  for (;;) {
    const v = Atomics.load(ctrl, 1);
    if (v >>> 16 !== (gen & 0x7fff)) return -1;
    const c = v & 0xffff;
    if (c >= Atomics.load(ctrl, 3)) return -1;
    if (Atomics.compareExchange(ctrl, 1, v, v + 1) === v) return c;
  }
}

// The worker: instantiate the module on the shared memory, then claim chunks whenever the generation moves.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, scratch } = workerData;
const { chunk } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctrl = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
const claim = (${claim.toString()});
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${GEN}, seen);
  seen = Atomics.load(ctrl, ${GEN});
  if (Atomics.load(ctrl, ${QUIT})) break;
  for (let c; (c = claim(ctrl, seen)) >= 0;) {
    chunk(Atomics.load(ctrl, ${ARGS}), c, scratch);
    Atomics.add(ctrl, ${BY_WORKERS}, 1);
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
`;

/** How long the caller waits for a claimed chunk before it gives up (a worker that died). */
const STALL_MS = 60_000;

export class ChunkPool {
  private readonly workers: WorkerLike[] = [];
  private readonly ctrl: Int32Array;

  /** threads − 1 workers; scratch[t] is thread t's scratch region (t = 0: the caller). */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    control: number,
    private readonly scratch: readonly number[],
    private readonly chunk: (args: number, c: number, scratch: number) => void,
  ) {
    this.ctrl = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    this.ctrl.fill(0);
    const Worker = node()?.Worker;
    for (let t = 1; Worker && t < scratch.length; t++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control, scratch: scratch[t] },
      });
      w.unref();
      w.on('error', () => {
        /* the caller then takes every chunk itself */
      });
      this.workers.push(w);
    }
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** How many chunks the workers (not the caller) have computed since the pool started (diagnostics). */
  get chunksByWorkers(): number {
    return Atomics.load(this.ctrl, BY_WORKERS);
  }

  /** Chunks 0..chunks−1 of the job at args, spread over the threads; returns when all are done. */
  run(args: number, chunks: number): void {
    const ctrl = this.ctrl;
    const gen = Atomics.load(ctrl, GEN) + 1;
    Atomics.store(ctrl, ARGS, args);
    Atomics.store(ctrl, CHUNKS, chunks);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, NEXT, (gen & 0x7fff) << 16);
    Atomics.store(ctrl, GEN, gen);
    Atomics.notify(ctrl, GEN);
    for (let c; (c = claim(ctrl, gen)) >= 0; ) {
      this.chunk(args, c, this.scratch[0]);
      Atomics.add(ctrl, DONE, 1);
    }
    const start = Date.now();
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= chunks) return;
      Atomics.wait(ctrl, DONE, done, 100);
      if (Date.now() - start > STALL_MS) throw new Error('a training thread stopped answering');
    }
  }

  /** Ends the workers. */
  dispose(): void {
    Atomics.store(this.ctrl, QUIT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
