/** What the session tests share: a fake worker host with a clock and a scheduler that only the test moves. */
import { strict as assert } from 'node:assert';
import type { FromWorker } from '../../src/protocol';

/** A fake worker: deferred work runs only when the test drains it; the clock moves only when the test says. */
export class FakeHost {
  readonly sent: FromWorker[] = [];
  private queue: Array<() => void> = [];
  private timers: Array<{ at: number; fn: () => void }> = [];
  time = 0;
  /** Milliseconds the clock advances at every reading (so a slice ends after a bounded number of steps). */
  tick = 0;
  readonly host = {
    post: (m: FromWorker) => void this.sent.push(m),
    defer: (fn: () => void) => void this.queue.push(fn),
    later: (fn: () => void, ms: number) => void this.timers.push({ at: this.time + ms, fn }),
    now: () => (this.time += this.tick),
  };

  /** Run deferred work, and timers (moving the clock to them), until none is left (or `max` of them ran). */
  drain(max = 100_000): number {
    let n = 0;
    while ((this.queue.length || this.timers.length) && n < max) {
      n++;
      if (this.queue.length) {
        this.queue.shift()!();
        continue;
      }
      this.timers.sort((a, b) => a.at - b.at);
      const t = this.timers.shift()!;
      this.time = Math.max(this.time, t.at);
      t.fn();
    }
    return n;
  }

  of<T extends FromWorker['type']>(type: T): Array<Extract<FromWorker, { type: T }>> {
    return this.sent.filter((m): m is Extract<FromWorker, { type: T }> => m.type === type);
  }

  last<T extends FromWorker['type']>(type: T): Extract<FromWorker, { type: T }> {
    const all = this.of(type);
    assert.ok(all.length, `no ${type} message`);
    return all[all.length - 1];
  }
}

/** A two-feature point set as the bytes of a CSV file (x1,x2,y), what a session reads. */
export function pointsCsv(P: { X: Float64Array; Y: Float64Array }): Uint8Array {
  const rows = Array.from({ length: P.Y.length }, (_, i) => `${P.X[2 * i]},${P.X[2 * i + 1]},${P.Y[i]}`);
  return new TextEncoder().encode(`x1,x2,y\n${rows.join('\n')}\n`);
}
