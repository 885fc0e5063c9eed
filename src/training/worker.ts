/**
 * The training worker (worker_threads): a thin adapter that hands the
 * protocol's messages to one TrainingSession (src/training/session.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from '../protocol';
import { TrainingSession } from '../training/session';

const port = parentPort!;
const session = new TrainingSession({
  post: (m, transfer = []) => port.postMessage(m, transfer),
  defer: (fn) => setImmediate(fn),
  later: (fn, ms) => setTimeout(fn, ms),
  now: () => performance.now(),
});
port.on('message', (m: ToWorker) => session.handle(m));
