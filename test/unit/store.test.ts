import { strict as assert } from 'node:assert';
import { mkdtempSync, promises as fsp, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KEEP_CHECKPOINTS,
  type RunRecord,
  RunStore,
  type StoreFs,
  processAlive,
} from '../../src/training/store';
import { DEFAULT_SETTINGS } from '../../src/core/settings';
import { DEFAULT_CONFIG, Trainer } from '../../src/core/trainer';
import { flower } from '../../src/data/synthetic';

const nodeFs: StoreFs = {
  readFile: async (p) => new Uint8Array(await fsp.readFile(p)),
  writeFile: (p, d) => fsp.writeFile(p, d),
  appendFile: (p, d) => fsp.appendFile(p, d),
  rename: (a, b) => fsp.rename(a, b),
  delete: (p) => fsp.rm(p, { recursive: true, force: true }),
  list: (p) => fsp.readdir(p),
  mkdir: async (p) => {
    await fsp.mkdir(p, { recursive: true });
  },
};

function record(id: string, over: Partial<RunRecord> = {}): RunRecord {
  const now = new Date().toISOString();
  return {
    version: 1,
    id,
    dataset: { uri: 'file:///d.csv', name: 'd.csv', hash: 'abc' },
    derivation: null,
    source: { kind: 'settings' },
    settings: DEFAULT_SETTINGS,
    seed: 1,
    initialTheta: [0.1, 0.2],
    startedAt: now,
    updatedAt: now,
    endedAt: null,
    status: 'running',
    reason: '',
    divergence: null,
    progress: { step: 0, epoch: 0 },
    train: null,
    test: null,
    owner: { pid: process.pid, session: 's' },
    resumes: 0,
    ...over,
  };
}

function trainerAt(steps: number) {
  const P = flower(1, 60);
  const t = new Trainer({ ...DEFAULT_CONFIG, epochs: 50, hidden: 3 }, { X: P.X, Y: P.Y, m: 60, n: 2 });
  for (let i = 0; i < steps; i++) t.step();
  return t;
}

describe('run store', () => {
  let root: string;
  const warnings: string[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'bpl-store-'));
    warnings.length = 0;
  });

  it('records before the run and after it; one folder per run; writes are atomic (no temporary files left)', async () => {
    const s = new RunStore(nodeFs, root, (w) => warnings.push(w));
    assert.ok(await s.create(record('a1')));
    assert.ok(await s.update({ ...record('a1'), status: 'completed', endedAt: new Date().toISOString() }));
    assert.ok(await s.create(record('b2')));
    assert.deepEqual(readdirSync(join(root, 'runs')).sort(), ['a1', 'b2']);
    assert.deepEqual(readdirSync(join(root, 'runs', 'a1')), ['record.json']);
    assert.equal((await s.get('a1'))!.status, 'completed');
    assert.deepEqual(warnings, []);
  });

  it(`keeps the newest ${KEEP_CHECKPOINTS} checkpoints, and each resumes the exact trajectory`, async () => {
    const s = new RunStore(nodeFs, root, (w) => warnings.push(w));
    await s.create(record('c3'));
    // As the recorder does: each checkpoint's new epochs to history.jsonl, the state without history.
    const t = trainerAt(0);
    let saved = 0;
    for (const steps of [10, 20, 30, 40, 50]) {
      while (t.stepCount < steps) t.step();
      const state = t.getState(saved);
      assert.ok(await s.appendHistory('c3', state.history, saved === 0));
      saved = t.history.length;
      assert.ok(
        await s.checkpoint({
          version: 1,
          runId: 'c3',
          savedAt: '',
          step: t.stepCount,
          epoch: t.epoch,
          trainer: { ...state, history: [] },
        }),
      );
    }
    assert.equal(
      readdirSync(join(root, 'runs', 'c3')).filter((n) => n.startsWith('checkpoint-')).length,
      KEEP_CHECKPOINTS,
    );
    const c = (await s.resumeState('c3'))!;
    assert.equal(c.step, 50);
    assert.equal(c.trainer.history.length, t.history.length, 'the history is put back from history.jsonl');
    // Resume from the stored checkpoint and run to the end: the same θ and the same history as an uninterrupted run.
    const P = flower(1, 60);
    const resumed = Trainer.restore(c.trainer, { X: P.X, Y: P.Y, m: 60, n: 2 });
    resumed.run();
    const straight = trainerAt(0);
    straight.run();
    assert.deepEqual(Array.from(resumed.net.theta), Array.from(straight.net.theta));
    assert.deepEqual(
      resumed.history.map((e) => e.train.loss),
      straight.history.map((e) => e.train.loss),
    );
  });

  it('history.jsonl: a torn last line is ignored, a restart begins a new trajectory, epochs past the checkpoint are left out', async () => {
    const s = new RunStore(nodeFs, root, (w) => warnings.push(w));
    await s.create(record('j9'));
    const t = trainerAt(60 * 4); // 4 epochs of 60 rows
    await s.appendHistory('j9', t.history.slice(0, 2), true);
    await s.appendHistory('j9', t.history.slice(2), false);
    await fsp.appendFile(join(root, 'runs', 'j9', 'history.jsonl'), '{"epoch": 5, "train": {"lo');
    assert.deepEqual(
      (await s.readHistory('j9')).map((e) => e.epoch),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      (await s.readHistory('j9', 3)).map((e) => e.epoch),
      [1, 2, 3],
    );
    await s.appendHistory('j9', t.history.slice(0, 1), true); // Reset Parameters
    assert.deepEqual(
      (await s.readHistory('j9')).map((e) => e.epoch),
      [1],
    );
  });

  it('a corrupt or truncated newest checkpoint falls back to the previous one, with a warning', async () => {
    const s = new RunStore(nodeFs, root, (w) => warnings.push(w));
    await s.create(record('d4'));
    for (const steps of [5, 9]) {
      const t = trainerAt(steps);
      await s.checkpoint({
        version: 1,
        runId: 'd4',
        savedAt: '',
        step: t.stepCount,
        epoch: t.epoch,
        trainer: t.getState(),
      });
    }
    const newest = readdirSync(join(root, 'runs', 'd4'))
      .filter((n) => n.startsWith('checkpoint-'))
      .sort()
      .pop()!;
    const full = await fsp.readFile(join(root, 'runs', 'd4', newest), 'utf8');
    writeFileSync(join(root, 'runs', 'd4', newest), full.slice(0, full.length / 2)); // truncated
    const c = (await s.latestCheckpoint('d4'))!;
    assert.equal(c.step, 5);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /unreadable.*using the one before it/);
  });

  it('unreadable records are skipped, never thrown; running records of a dead owner become interrupted', async () => {
    const s = new RunStore(nodeFs, root, (w) => warnings.push(w));
    await s.create(record('e5', { owner: { pid: 999999999, session: 'gone' } }));
    await s.create(record('f6'));
    await fsp.mkdir(join(root, 'runs', 'g7'));
    writeFileSync(join(root, 'runs', 'g7', 'record.json'), '{"version": 1, "id": "g7", "sta');
    const list = await s.list();
    assert.deepEqual(list.map((r) => r.id).sort(), ['e5', 'f6']);
    assert.ok(warnings.some((w) => /g7 is unreadable/.test(w)));
    const interrupted = await s.markInterrupted((o) => processAlive(o.pid));
    assert.deepEqual(
      interrupted.map((r) => r.id),
      ['e5'],
    );
    assert.equal((await s.get('e5'))!.status, 'interrupted');
    assert.equal((await s.get('f6'))!.status, 'running', 'this process is alive: its run is not touched');
  });

  it('when storage cannot be written, every call returns false, nothing throws, and the user is told once per run', async () => {
    const failing: StoreFs = {
      ...nodeFs,
      writeFile: async () => {
        throw new Error('EROFS: read-only file system');
      },
      mkdir: async () => undefined,
    };
    const s = new RunStore(failing, root, (w) => warnings.push(w));
    assert.equal(await s.create(record('h8')), false);
    const t = trainerAt(3);
    assert.equal(
      await s.checkpoint({ version: 1, runId: 'h8', savedAt: '', step: 3, epoch: 0, trainer: t.getState() }),
      false,
    );
    assert.equal(await s.update(record('h8')), false);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /cannot write the record of run h8 \(EROFS: read-only file system\); training goes on/,
    );
  });

  it('two stores on one folder (two windows) write different runs without touching each other', async () => {
    const a = new RunStore(nodeFs, root, (w) => warnings.push(w));
    const b = new RunStore(nodeFs, root, (w) => warnings.push(w));
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).create(record(`w${i}`))));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? b : a).update({ ...record(`w${i}`), status: 'completed' }),
      ),
    );
    const all = await a.list();
    assert.equal(all.length, 20);
    assert.ok(all.every((r) => r.status === 'completed'));
    assert.deepEqual(warnings, []);
  });

  it('refuses run ids that could leave the storage folder', async () => {
    const s = new RunStore(nodeFs, root, (w) => warnings.push(w));
    await assert.rejects(() => s.delete('../../etc'), /invalid run id/);
  });
});
