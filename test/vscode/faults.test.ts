import { strict as assert } from 'node:assert';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/extension/runs';
import { api, report, sleep, waitFor, workspaceFile, write } from './helpers';

const train = (uri: vscode.Uri, options: object) =>
  vscode.commands.executeCommand<RunSummary | undefined>('backpropLens.trainFile', uri, options);
const LONG = { epochs: 100000, hidden: 16 };

/** The run started after `before` (train() resolves later; the new run becomes current only once its record is written). */
async function newRun(
  before: string | undefined,
  pred: (r: NonNullable<ReturnType<Awaited<ReturnType<typeof api>>['currentRun']>>) => boolean,
) {
  const a = await api();
  return waitFor(
    'the new run',
    () => {
      const r = a.currentRun();
      return r && r.id !== before && pred(r) ? r : null;
    },
    60_000,
  );
}

async function record(id: string) {
  const r = (await (await api()).listRuns()).find((x) => x.id === id);
  assert.ok(r, `no record of run ${id}`);
  return r;
}

describe('faults: runs are never lost', function () {
  this.timeout(300_000);
  const cfg = () => vscode.workspace.getConfiguration('backpropLens');

  before(async () => {
    await cfg().update('checkpoints.everySeconds', 1, vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    await cfg().update('checkpoints.everySeconds', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('1. cancel mid-training: stops within a slice, status cancelled in the record, curve and parameters kept, a new run starts at once', async () => {
    const a = await api();
    const before = a.currentRun()?.id;
    const running = train(workspaceFile('breast_cancer.csv'), { settings: LONG, ifBusy: 'stopAndStart' });
    const id = (await newRun(before, (r) => r.history >= 2)).id;
    assert.equal((await record(id)).status, 'running', 'recorded before it ended');
    const t0 = Date.now();
    await vscode.commands.executeCommand('backpropLens.stop');
    const s = await running;
    report(`cancel: stopped ${Date.now() - t0} ms after the command`);
    assert.equal(s!.status, 'cancelled');
    assert.ok(a.currentRun()!.history >= 2 && a.currentRun()!.theta.every(Number.isFinite));
    await waitFor('the record', async () => (await record(id)).status === 'cancelled');
    const again = await train(workspaceFile('xor.csv'), { settings: { epochs: 2 } });
    assert.equal(again!.status, 'completed');
    assert.notEqual(again!.runId, id);
  });

  it('7. resume: a cancelled run continues from its last checkpoint and ends exactly where an uninterrupted run ends', async () => {
    const a = await api();
    const settings = { epochs: 60, hidden: 6, seed: 21, optimizer: 'adam', lr: 0.01 };
    const straight = await train(workspaceFile('moons.csv'), { settings, ifBusy: 'stopAndStart' });
    const finalTheta = a.currentRun()!.theta;
    // The same run, stopped part-way.
    const cut = train(workspaceFile('moons.csv'), {
      settings: { ...settings, epochs: 60 },
      ifBusy: 'stopAndStart',
      paused: true,
    });
    await cut;
    for (let i = 0; i < 120; i++) await vscode.commands.executeCommand('backpropLens.stepOnce'); // of 300 (60 epochs × 5 batches)
    const id = a.currentRun()!.id;
    assert.equal(a.currentRun()!.step, 120);
    await vscode.commands.executeCommand('backpropLens.stop');
    let last = '';
    await waitFor(
      'the cancelled record',
      async () => (last = (await record(id)).status) === 'cancelled',
    ).catch((e) => {
      throw new Error(`${e.message}: the record says ${last}`);
    });
    const resumed = await vscode.commands.executeCommand<RunSummary>('backpropLens.resumeRun', id, {
      ifBusy: 'stopAndStart',
    });
    assert.equal(resumed.runId, id, 'the same run continues');
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.steps, straight!.steps);
    assert.deepEqual(a.currentRun()!.theta, finalTheta, 'bit-identical to the uninterrupted trajectory');
    assert.deepEqual(resumed.train, straight!.train);
  });

  it('7. a record left "running" by a window that is gone becomes interrupted and can be resumed; a changed dataset asks first', async () => {
    const a = await api();
    const settings = { epochs: 30, hidden: 5, seed: 4 };
    const straight = await train(workspaceFile('circles.csv'), { settings, ifBusy: 'stopAndStart' });
    const finalTheta = a.currentRun()!.theta;
    await train(workspaceFile('circles.csv'), { settings, ifBusy: 'stopAndStart', paused: true });
    for (let i = 0; i < 300; i++) await vscode.commands.executeCommand('backpropLens.stepOnce');
    const id = a.currentRun()!.id;
    await vscode.commands.executeCommand('backpropLens.stop');
    await waitFor('the cancelled record', async () => (await record(id)).status === 'cancelled');
    // Pretend the extension host that ran it died mid-run: its record says "running", owned by a dead process.
    const recUri = vscode.Uri.joinPath(a.storageUri, 'runs', id, 'record.json');
    const rec = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(recUri)));
    await vscode.workspace.fs.writeFile(
      recUri,
      new TextEncoder().encode(
        JSON.stringify({ ...rec, status: 'running', owner: { pid: 999999999, session: 'gone' } }),
      ),
    );
    const found = await a.scanInterrupted();
    assert.deepEqual(
      found.map((r) => r.id),
      [id],
    );
    assert.equal((await record(id)).status, 'interrupted');
    // The dataset changed since: resuming asks first ("cancel" answers no).
    const original = await vscode.workspace.fs.readFile(workspaceFile('circles.csv'));
    await vscode.workspace.fs.writeFile(
      workspaceFile('circles.csv'),
      new Uint8Array([...original, ...new TextEncoder().encode('0.1,0.2,1\n')]),
    );
    assert.equal(
      await vscode.commands.executeCommand('backpropLens.resumeRun', id, {
        ifDatasetChanged: 'cancel',
        ifBusy: 'stopAndStart',
      }),
      undefined,
    );
    await vscode.workspace.fs.writeFile(workspaceFile('circles.csv'), original);
    const resumed = await vscode.commands.executeCommand<RunSummary>('backpropLens.resumeRun', id, {
      ifBusy: 'stopAndStart',
    });
    assert.equal(resumed.status, 'completed');
    assert.deepEqual(a.currentRun()!.theta, finalTheta);
    assert.equal(resumed.steps, straight!.steps);
  });

  it('4. the dataset is edited, renamed and deleted during a run: the run goes on with what it read, the panel says so', async () => {
    const a = await api();
    const src = await vscode.workspace.fs.readFile(workspaceFile('breast_cancer.csv'));
    const uri = workspaceFile('volatile.csv');
    await vscode.workspace.fs.writeFile(uri, src);
    const before = a.currentRun()?.id;
    const running = train(uri, { settings: LONG, ifBusy: 'stopAndStart' });
    const id = (await newRun(before, (r) => r.step > 500)).id;
    const hash = (await record(id)).dataset.hash;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('garbage\n'));
    await waitFor(
      'the notice',
      () => /volatile\.csv changed on disk after the run read it/.test(a.currentRun()!.notice ?? ''),
      20_000,
    ).catch(async (e) => {
      const other = (await a.listRuns()).find((r) => r.id === a.currentRun()?.id);
      throw new Error(
        `${e.message}; notice: ${a.currentRun()?.notice}; current run ${a.currentRun()?.id} (test's ${id}): ${JSON.stringify(other && { dataset: other.dataset.name, status: other.status, reason: other.reason, source: (other as unknown as { source: unknown }).source })}`,
      );
    });
    const renamed = workspaceFile('volatile-renamed.csv');
    const edit = new vscode.WorkspaceEdit();
    edit.renameFile(uri, renamed);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor(
      'the rename notice',
      () => /was renamed to volatile-renamed\.csv/.test(a.currentRun()!.notice ?? ''),
      20_000,
    );
    await vscode.workspace.fs.delete(renamed);
    const step = a.currentRun()!.step;
    await sleep(800);
    assert.ok(
      a.currentRun()!.step > step && a.currentRun()!.phase === 'running',
      'still training on the data it read',
    );
    assert.equal((await record(id)).dataset.hash, hash);
    await vscode.commands.executeCommand('backpropLens.stop');
    assert.equal((await running)!.status, 'cancelled');
  });

  it('5. divergence: status diverged in the record with the step and the first non-finite parameter; the last finite parameters kept', async () => {
    const a = await api();
    const uri = await write('huge.csv', 'a,b,y\n1e200,1e200,0\n-1e200,-1e200,1\n');
    const s = await train(uri, {
      settings: { activation: 'relu', lr: 1e200, standardize: false, split: 0, optimizer: 'batch' },
      ifBusy: 'stopAndStart',
    });
    assert.equal(s!.status, 'diverged');
    const r = await waitFor('the record', async () => {
      const x = await record(s!.runId);
      return x.status === 'diverged' ? x : null;
    });
    assert.deepEqual(r.divergence, { step: 1, param: 'W1[0,0]' });
    assert.ok(a.currentRun()!.theta.every(Number.isFinite));
  });

  it('9. hostile messages from the webview: rejected, logged once, the host stays responsive, nothing reaches executeCommand', async () => {
    const a = await api();
    await train(workspaceFile('xor.csv'), { settings: { epochs: 2 }, ifBusy: 'stopAndStart' });
    const calls: string[] = [];
    const original = vscode.commands.executeCommand;
    (vscode.commands as { executeCommand: unknown }).executeCommand = (id: string, ...rest: unknown[]) => {
      calls.push(id);
      return original(id, ...rest);
    };
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const big = 'x'.repeat(10 * 1024 * 1024);
    const t0 = Date.now();
    try {
      for (let i = 0; i < 5000; i++) {
        const k = i % 6;
        a.testing!.inspectorReceive(
          k === 0
            ? { type: big }
            : k === 1
              ? { type: 'executeCommand', command: 'workbench.action.terminal.new', args: ['rm -rf /'] }
              : k === 2
                ? { type: 'setLearningRate', lr: big }
                : k === 3
                  ? { type: 'control', action: { $eval: 'process.exit()' } }
                  : k === 4
                    ? [1, 2, 3]
                    : { type: 'runCheck', extra: big },
        );
        if (i % 500 === 0) await sleep(0);
      }
    } finally {
      (vscode.commands as { executeCommand: unknown }).executeCommand = original;
      h.disable();
    }
    const ms = Date.now() - t0;
    report(
      `5,000 hostile webview messages (10 MB strings among them) handled in ${ms} ms; event-loop delay max ${(h.max / 1e6).toFixed(1)} ms`,
    );
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.deepEqual(calls, [], 'nothing reached executeCommand');
    // The host still answers at once.
    const t1 = Date.now();
    await vscode.commands.executeCommand('backpropLens.showInspector');
    assert.ok(Date.now() - t1 < 2000);
  });

  it('10. a 100 MB dataset is read in the worker with the host responsive; a file over the limit gets a clear error at once', async () => {
    const rows: string[] = ['a,b,c,d,label'];
    const line =
      '0.123456789,-1.23456789,12.3456789,-0.000123456,1\n0.987654321,1.98765432,-9.87654321,0.000987654,0\n';
    const body = line.repeat(Math.ceil((100 * 1024 * 1024) / line.length));
    const uri = workspaceFile('big.csv');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(rows[0] + '\n' + body));
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = Date.now();
    const s = await train(uri, {
      settings: { epochs: 1, optimizer: 'batch', hidden: 2 },
      ifBusy: 'stopAndStart',
    });
    h.disable();
    report(
      `100 MB CSV: read, split, standardised and one full-batch epoch in ${Date.now() - t0} ms; host event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`,
    );
    assert.equal(s!.status, 'completed');
    assert.ok(s!.dataset!.rows > 2_000_000);
    // The target (p99 < 50 ms, README) is measured and reported above; the assertion is a floor that catches a host
    // blocked by reading or parsing (seconds), not a timing test that a loaded 2-core machine would make flaky.
    assert.ok(
      h.percentile(99) / 1e6 < 250,
      `p99 ${h.percentile(99) / 1e6} ms: the extension host was blocked`,
    );
    await cfg().update('data.maxFileSizeMB', 50, vscode.ConfigurationTarget.Workspace);
    try {
      const t1 = Date.now();
      const over = await train(uri, { ifBusy: 'stopAndStart' });
      assert.equal(over!.status, 'data-error');
      assert.match(over!.error!.message, /over the size limit|over the 50 MB limit/);
      assert.ok(Date.now() - t1 < 2000, 'refused without reading the file');
    } finally {
      await cfg().update('data.maxFileSizeMB', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.workspace.fs.delete(uri);
    }
  });

  it("the Runs view's commands: open a run, compare two runs' curves, export one, delete one", async () => {
    const a = await api();
    const r1 = await train(workspaceFile('moons.csv'), {
      settings: { epochs: 8, seed: 1 },
      ifBusy: 'stopAndStart',
    });
    const r2 = await train(workspaceFile('moons.csv'), {
      settings: { epochs: 8, seed: 2, optimizer: 'adam', lr: 0.01 },
      ifBusy: 'stopAndStart',
    });
    await waitFor(
      'both records',
      async () =>
        (await record(r1!.runId)).status === 'completed' && (await record(r2!.runId)).status === 'completed',
    );
    await vscode.commands.executeCommand('backpropLens.openRun', r1!.runId);
    const doc = vscode.window.activeTextEditor!.document;
    assert.equal(doc.languageId, 'json');
    assert.equal(JSON.parse(doc.getText()).id, r1!.runId);
    const items = (await a.listRuns()).filter((r) => r.id === r1!.runId || r.id === r2!.runId);
    assert.equal(items.length, 2);
    const out = workspaceFile('exported-run.json');
    await vscode.commands.executeCommand('backpropLens.exportRun', r2!.runId, out);
    const exported = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(out)));
    assert.equal(exported.record.id, r2!.runId);
    assert.equal(
      exported.checkpoint.trainer.history.length,
      8,
      'the last checkpoint has the whole loss history',
    );
    assert.equal(exported.record.settings.optimizer, 'adam');
    assert.ok(await vscode.commands.executeCommand('backpropLens.deleteRun', r1!.runId, { confirm: false }));
    assert.ok(!(await a.listRuns()).some((r) => r.id === r1!.runId));
  });

  it("compare two runs: a static page (no script) with both runs' loss and accuracy curves", async () => {
    const a = await api();
    const r1 = await train(workspaceFile('xor.csv'), {
      settings: { epochs: 6, seed: 3 },
      ifBusy: 'stopAndStart',
    });
    const r2 = await train(workspaceFile('xor.csv'), {
      settings: { epochs: 6, seed: 4, hidden: 2 },
      ifBusy: 'stopAndStart',
    });
    await waitFor(
      'both records',
      async () =>
        (await record(r1!.runId)).status === 'completed' && (await record(r2!.runId)).status === 'completed',
    );
    assert.equal((await a.listRuns()).filter((r) => r.id === r1!.runId || r.id === r2!.runId).length, 2);
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>(
      'backpropLens.compareRuns',
      r1!.runId,
      [r1!.runId, r2!.runId],
    );
    assert.ok(panel, 'a panel opened');
    const html = panel.webview.html;
    assert.match(html, /default-src 'none'/);
    assert.ok(!/<script/i.test(html), 'no script');
    assert.equal((html.match(/<polyline class="run0"/g) ?? []).length, 4);
    assert.equal((html.match(/<polyline class="run1"/g) ?? []).length, 4);
    panel.dispose();
  });
});
