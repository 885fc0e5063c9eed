import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/extension/runs';
import type { GradcheckReport } from '../../src/core/gradcheck';
import { referenceDerivation } from '../../src/derivation/checker';
import type { RunRecord } from '../../src/training/store';
import { api, repoRoot, report, sleep, waitFor, workspaceFile, write } from './helpers';

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'out', 'cli.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const train = (uri: vscode.Uri, options: object) =>
  vscode.commands.executeCommand<RunSummary | undefined>('backpropLens.trainFile', uri, options);

/** Run f with window.show*Message replaced, to see what the user is told; returns f's result and the messages. */
async function withMessages<T>(
  f: () => Thenable<T> | Promise<T>,
): Promise<{ result: T; messages: string[]; buttons: string[][] }> {
  const w = vscode.window as unknown as Record<string, unknown>;
  const names = ['showErrorMessage', 'showWarningMessage', 'showInformationMessage'];
  const saved = names.map((n) => w[n]);
  const messages: string[] = [];
  const buttons: string[][] = [];
  for (const n of names)
    w[n] = (m: string, ...items: unknown[]) => {
      messages.push(m);
      buttons.push(items.filter((x): x is string => typeof x === 'string'));
      return Promise.resolve(undefined);
    };
  try {
    return { result: await f(), messages, buttons };
  } finally {
    names.forEach((n, i) => (w[n] = saved[i]));
  }
}

describe('extension in a real VS Code', function () {
  this.timeout(300_000);

  it('activates without errors, quickly, and registers every contributed command', async () => {
    const a = await api();
    report(`activation: ${a.activationMs.toFixed(1)} ms inside activate(); VS Code ${vscode.version}`);
    assert.ok(a.activationMs < 500, `activation took ${a.activationMs} ms`);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(contributed.length >= 13);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of contributed) {
      assert.match(c, /^backpropLens\.[a-z][A-Za-z]+$/);
      assert.ok(registered.has(c), `${c} is not registered`);
    }
  });

  it('training an example by command gives the status and metrics the CLI gives for the same seed and settings', async () => {
    const uri = workspaceFile('xor.csv');
    const s = await train(uri, {
      settings: { epochs: 20, seed: 3, hidden: 5, activation: 'tanh' },
      ifBusy: 'stopAndStart',
    });
    assert.ok(s, 'the command returned a summary');
    const c = cli([
      'train',
      uri.fsPath,
      '--json',
      '--epochs',
      '20',
      '--seed',
      '3',
      '--hidden',
      '5',
      '--activation',
      'tanh',
    ]);
    assert.equal(c.code, 0, c.err);
    const o = JSON.parse(c.out);
    assert.equal(s.status, o.status);
    assert.equal(s.steps, o.steps);
    assert.equal(s.epochs, o.epochs);
    assert.deepEqual(s.train, o.train, 'bit-identical training metrics');
    assert.deepEqual(s.test, o.test);
    assert.equal(s.dataset!.trainRows, o.dataset.trainRows);
  });

  it('Stop during a long run stops it promptly, keeps a usable state, and the host event loop stays responsive', async () => {
    const uri = workspaceFile('breast_cancer.csv');
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const a = await api();
    const before = a.currentRun()?.id;
    const running = train(uri, { settings: { epochs: 100000, hidden: 32 }, ifBusy: 'stopAndStart' });
    await waitFor(
      'the run to be training',
      () =>
        a.currentRun()?.id !== before &&
        a.currentRun()?.phase === 'running' &&
        (a.currentRun()?.step ?? 0) > 1000,
    );
    await sleep(1500); // full-speed training while the host keeps its event loop
    h.disable();
    const p99 = h.percentile(99) / 1e6;
    report(
      `extension host event-loop delay during full-speed training: p50 ${(h.percentile(50) / 1e6).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(h.max / 1e6).toFixed(1)} ms`,
    );
    assert.ok(p99 < 50, `event-loop delay p99 ${p99} ms`);
    const t0 = Date.now();
    await vscode.commands.executeCommand('backpropLens.stop');
    const s = await running;
    const stopMs = Date.now() - t0;
    report(`stop latency: ${stopMs} ms`);
    assert.equal(s!.status, 'cancelled');
    assert.ok(stopMs < 2000, `stopping took ${stopMs} ms`);
    assert.ok(s!.steps > 1000 && s!.train!.accuracy > 0.5, 'parameters and metrics are kept');
    // A new run can start at once.
    const again = await train(workspaceFile('xor.csv'), { settings: { epochs: 2 } });
    assert.equal(again!.status, 'completed');
  });

  it('a second train request follows the stated rule: "keep" refuses, "stopAndStart" cancels the first; run ids are unique', async () => {
    const a = await api();
    const before = a.currentRun()?.id;
    const first = train(workspaceFile('breast_cancer.csv'), {
      settings: { epochs: 100000 },
      ifBusy: 'stopAndStart',
    });
    await waitFor(
      'the first run to train',
      () => a.currentRun()?.id !== before && a.currentRun()?.phase === 'running',
    );
    const firstId = a.currentRun()!.id;
    const { result: refused, messages } = await withMessages(() =>
      train(workspaceFile('xor.csv'), { ifBusy: 'keep' }),
    );
    const cap = { messages };
    assert.equal(refused, undefined);
    assert.ok(
      cap.messages.some((m) => /still training; stop it first/.test(m)),
      cap.messages.join('\n'),
    );
    assert.equal(a.currentRun()!.id, firstId, 'the first run continues');
    const second = await train(workspaceFile('xor.csv'), { settings: { epochs: 3 }, ifBusy: 'stopAndStart' });
    const s1 = await first;
    assert.equal(s1!.status, 'cancelled');
    assert.equal(second!.status, 'completed');
    assert.notEqual(second!.runId, s1!.runId);
  });

  it('a bad dataset gives a clear error naming the file and the line', async () => {
    const uri = await write('bad.csv', 'x1,x2,label\n1,2,0\n3,oops,1\n');
    const { result: s, messages } = await withMessages(async () => {
      const r = await train(uri, { ifBusy: 'stopAndStart' });
      await sleep(50); // the message is shown after the command resolves
      return r;
    });
    const cap = { messages };
    assert.equal(s!.status, 'data-error');
    const message =
      'column "x2" has numbers and text: "oops" at line 3 (1 number, 1 text cell); a column is either numbers or categories';
    assert.deepEqual(s!.error, { line: 3, message });
    assert.ok(cap.messages.includes(`Backprop Lens: bad.csv:3: ${message}`), cap.messages.join('\n'));
  });

  it('settings change what runs: hidden units and seed show up in the result', async () => {
    const cfg = vscode.workspace.getConfiguration('backpropLens');
    await cfg.update('network.hidden', 3, vscode.ConfigurationTarget.Workspace);
    await cfg.update('training.seed', 9, vscode.ConfigurationTarget.Workspace);
    await cfg.update('training.epochs', 2, vscode.ConfigurationTarget.Workspace);
    try {
      const s = await train(workspaceFile('moons.csv'), { ifBusy: 'stopAndStart' });
      assert.equal(s!.config.hidden, 3);
      assert.equal(s!.config.seed, 9);
      assert.equal(
        (await api()).currentRun()!.theta.length,
        3 * 2 + 2 * 3 + 1,
        'θ has the shape of a 2-3-1 network',
      );
      const c = JSON.parse(
        cli([
          'train',
          workspaceFile('moons.csv').fsPath,
          '--json',
          '--hidden',
          '3',
          '--seed',
          '9',
          '--epochs',
          '2',
        ]).out,
      );
      assert.deepEqual(s!.train, c.train);
      // An invalid setting is a clear message, not a crash.
      await cfg.update('training.learningRate', -1, vscode.ConfigurationTarget.Workspace);
      const { result: bad, messages } = await withMessages(() =>
        train(workspaceFile('moons.csv'), { ifBusy: 'stopAndStart' }),
      );
      const cap = { messages };
      assert.equal(bad, undefined);
      assert.ok(
        cap.messages.some((m) =>
          m.includes('Setting backpropLens.training.learningRate: must be > 0, got -1'),
        ),
        cap.messages.join('\n'),
      );
    } finally {
      for (const k of ['network.hidden', 'training.seed', 'training.epochs', 'training.learningRate'])
        await cfg.update(k, undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('an experiment file beats the settings, and its errors point at the offending key', async () => {
    const exp = await write(
      'small.backprop.json',
      JSON.stringify(
        {
          name: 'small',
          dataset: 'circles.csv',
          hidden: 5,
          seed: 11,
          epochs: 3,
          optimizer: 'adam',
          lr: 0.01,
        },
        null,
        2,
      ),
    );
    const s = await vscode.commands.executeCommand<RunSummary>('backpropLens.runExperiment', exp, {
      ifBusy: 'stopAndStart',
    });
    assert.equal(s!.status, 'completed');
    assert.equal(s!.config.hidden, 5);
    assert.equal(s!.config.optimizer, 'adam');
    assert.equal(s!.source.kind, 'experiment');
    assert.equal(s!.source.file, exp.toString());
    assert.ok(s!.file.endsWith('/circles.csv'));
    const bad = await write('bad.backprop.json', '{\n  "dataset": "circles.csv",\n  "hiden": 5\n}\n');
    const { result: none, messages } = await withMessages(() =>
      vscode.commands.executeCommand('backpropLens.runExperiment', bad, { ifBusy: 'stopAndStart' }),
    );
    const cap = { messages };
    assert.equal(none, undefined);
    assert.ok(
      cap.messages.some((m) =>
        m.includes('bad.backprop.json:3: unknown key "hiden" (did you mean "hidden"?)'),
      ),
      cap.messages.join('\n'),
    );
  });

  it('changing the optimizer in the inspector restarts the same request: the experiment file and its derivation are kept', async () => {
    const a = await api();
    await write('restart.deriv', referenceDerivation('sigmoid', 'example'));
    const exp = await write(
      'restart.backprop.json',
      JSON.stringify(
        {
          dataset: 'circles.csv',
          derivation: 'restart.deriv',
          hidden: 5,
          seed: 13,
          epochs: 2000,
          optimizer: 'sgd',
        },
        null,
        2,
      ),
    );
    const first = await vscode.commands.executeCommand<RunSummary>('backpropLens.runExperiment', exp, {
      ifBusy: 'stopAndStart',
      paused: true,
    });
    assert.equal(first!.status, 'running');
    a.testing!.inspectorReceive({ type: 'restart', settings: { optimizer: 'adam' } });
    const next = await waitFor(
      'the restarted run',
      () => {
        const r = a.currentRun();
        return r && r.id !== first!.runId && r.optimizer === 'adam' ? r : null;
      },
      60_000,
    );
    const record = await waitFor(
      'its record',
      async () => (await a.listRuns()).find((r) => r.id === next.id) as unknown as RunRecord | undefined,
    );
    assert.equal(record.settings.optimizer, 'adam');
    assert.equal(record.settings.hidden, 5, "the experiment file's values are kept");
    assert.equal(record.settings.seed, 13);
    assert.equal(record.source.kind, 'experiment');
    assert.equal(record.source.file, exp.toString());
    assert.equal(record.derivation?.file, 'restart.deriv', 'the derivation is kept');
    assert.equal(next.derivation, 'restart.deriv');
    // It goes on as the user left the first: paused (the first was started paused).
    await waitFor('the restarted run, paused as the first was', () => a.currentRun()?.phase === 'paused');
    await sleep(300);
    assert.equal(a.currentRun()!.step, 0, 'nothing ran');
    await vscode.commands.executeCommand('backpropLens.stop');
  });

  it('Race Optimizers: each racer is a stored run equal to a separate run with that optimizer; one comparison page', async () => {
    const settings = { epochs: 4, hidden: 3, seed: 21, lr: 0.05 };
    const racers = await vscode.commands.executeCommand<RunSummary[]>(
      'backpropLens.raceOptimizers',
      workspaceFile('moons.csv'),
      { optimizers: ['sgd', 'adam'], settings },
    );
    assert.deepEqual(
      racers!.map((r) => r.config.optimizer),
      ['sgd', 'adam'],
    );
    const stored = await (await api()).listRuns();
    for (const r of racers!) {
      assert.ok(
        stored.some((x) => x.id === r.runId),
        'each racer is a stored run',
      );
      const alone = await train(workspaceFile('moons.csv'), {
        settings: { ...settings, optimizer: r.config.optimizer },
        ifBusy: 'stopAndStart',
      });
      assert.deepEqual(alone!.train, r.train, `${r.config.optimizer}: the racer equals a separate run`);
      assert.deepEqual(alone!.test, r.test);
    }
  });

  it('data as it comes in VS Code: text labels and features, missing values refused or dropped by the setting', async () => {
    const refused = await train(workspaceFile('penguins.csv'), {
      settings: { epochs: 2, dropMissing: false },
      ifBusy: 'stopAndStart',
    });
    assert.equal(refused!.status, 'data-error');
    assert.match(refused!.error!.message, /missing value/);
    const s = await train(workspaceFile('penguins.csv'), {
      settings: { epochs: 3, dropMissing: true },
      ifBusy: 'stopAndStart',
    });
    assert.equal(s!.status, 'completed');
    assert.deepEqual(s!.dataset!.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
    assert.equal(s!.dataset!.K, 3);
    assert.ok(s!.dataset!.dropped.count > 0, 'rows with a missing value were dropped');
    assert.ok(
      s!.dataset!.features.some((f) => f.startsWith('Island=')),
      'a text column became one input per category',
    );
  });

  it('editing a weight in the inspector shows the gradients the CLI computes for that parameter vector', async () => {
    const a = await api();
    // Full batch on every row (no split): the step's examples are the rows the CLI's check takes with --batch m.
    const settings = {
      optimizer: 'batch',
      split: 0,
      epochs: 50,
      hidden: 3,
      seed: 8,
      activation: 'tanh',
    } as const;
    const s = await train(workspaceFile('moons.csv'), { settings, paused: true, ifBusy: 'stopAndStart' });
    assert.equal(s!.status, 'running');
    await vscode.commands.executeCommand('backpropLens.stepOnce');
    await vscode.commands.executeCommand('backpropLens.stepOnce');
    a.testing!.inspectorReceive({ type: 'setParameter', index: 1, value: 0.75 });
    const run = await waitFor('the edit', () => {
      const r = a.currentRun();
      return r && r.theta[1] === 0.75 && r.edits.length === 1 ? r : null;
    });
    const shown = run.last!.grad;
    // The CLI at the edited parameters: a model file with them, checked on all m rows.
    const model = workspaceFile('edited.model.json');
    await vscode.commands.executeCommand('backpropLens.exportModel', model);
    const m = s!.dataset!.trainRows;
    const c = JSON.parse(
      cli([
        'check',
        workspaceFile('moons.csv').fsPath,
        '--model',
        model.fsPath,
        '--batch',
        String(m),
        '--split',
        '0',
        '--json',
      ]).out,
    );
    const cliGrad = ['W1', 'b1', 'W2', 'b2'].flatMap((p) => c.params[p].analytic as number[]);
    assert.equal(cliGrad.length, shown.length);
    cliGrad.forEach((g, i) =>
      assert.ok(
        Math.abs(g - shown[i]) <= 1e-12 * Math.max(1, Math.abs(g)),
        `entry ${i}: CLI ${g}, shown ${shown[i]}`,
      ),
    );
    await vscode.commands.executeCommand('backpropLens.stop');
  });

  it('the status bar and the inspector show one snapshot of the run: the same step while it trains, and once paused the step the worker stopped at', async () => {
    const a = await api();
    const running = train(workspaceFile('breast_cancer.csv'), {
      settings: { epochs: 100_000 },
      ifBusy: 'stopAndStart',
    });
    await waitFor('training', () => (a.currentRun()?.shown.step ?? 0) > 1000);
    const stepIn = (text: string) => Number(/step (\d+)/.exec(text)?.[1] ?? -1);
    for (let i = 0; i < 10; i++) {
      // Read together (no await between): what the status bar says is the shown snapshot, not the newest report.
      const [bar, shown] = [a.testing!.statusText(), a.currentRun()!.shown];
      assert.equal(stepIn(bar), shown.step, `status bar "${bar}", shown ${JSON.stringify(shown)}`);
      await sleep(60);
    }
    await vscode.commands.executeCommand('backpropLens.pause');
    await waitFor('the worker to confirm', () => a.currentRun()!.shown.phase === 'paused');
    const r = a.currentRun()!;
    assert.equal(r.phase, 'paused');
    assert.equal(r.shown.step, r.step, 'the step the worker stopped at, not an older one');
    assert.match(a.testing!.statusText(), new RegExp(`paused at step ${r.step}$`));
    await sleep(300);
    assert.equal(a.currentRun()!.step, r.step, 'nothing moves once paused');
    await vscode.commands.executeCommand('backpropLens.stepOnce');
    await waitFor('the step', () => a.currentRun()!.shown.step === r.step + 1);
    assert.match(a.testing!.statusText(), new RegExp(`paused at step ${r.step + 1}$`));
    await vscode.commands.executeCommand('backpropLens.stop');
    assert.equal((await running)!.status, 'cancelled');
  });

  it('the completion message offers Show Inspector only when the inspector is not in view', async () => {
    const done = (buttons: string[][], messages: string[]) =>
      buttons[messages.findIndex((m) => /completed after/.test(m))];
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const hidden = await withMessages(() =>
      train(workspaceFile('moons.csv'), { settings: { epochs: 2 }, ifBusy: 'stopAndStart' }),
    );
    assert.deepEqual(done(hidden.buttons, hidden.messages), ['Show Inspector']);
    await vscode.commands.executeCommand('backpropLens.showInspector');
    await sleep(500);
    const shown = await withMessages(() =>
      train(workspaceFile('moons.csv'), { settings: { epochs: 2 }, ifBusy: 'stopAndStart' }),
    );
    assert.deepEqual(done(shown.buttons, shown.messages), [], shown.messages.join('\n'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Step Once takes exactly one optimizer step; Reset Parameters returns to step 0', async () => {
    const s = await train(workspaceFile('flower.csv'), { paused: true, ifBusy: 'stopAndStart' });
    assert.ok(s);
    const a = await api();
    assert.equal(a.currentRun()!.phase, 'paused');
    const theta0 = a.currentRun()!.theta;
    assert.equal(await vscode.commands.executeCommand('backpropLens.stepOnce'), 1);
    assert.equal(await vscode.commands.executeCommand('backpropLens.stepOnce'), 2);
    assert.notDeepEqual(a.currentRun()!.theta, theta0);
    await vscode.commands.executeCommand('backpropLens.resetParameters');
    await waitFor('the reset', () => a.currentRun()!.step === 0);
    assert.deepEqual(a.currentRun()!.theta, theta0, 'the seeded initial parameters again');
    await vscode.commands.executeCommand('backpropLens.stop');
  });

  it('Export as PyTorch Script writes the script and its check file from the current run (Python compiles it when present)', async () => {
    const s = await train(workspaceFile('moons.csv'), {
      settings: { epochs: 3, hidden: 3, seed: 4 },
      ifBusy: 'stopAndStart',
    });
    assert.equal(s!.status, 'completed');
    const out = workspaceFile('moons_model.py');
    const written = await vscode.commands.executeCommand<vscode.Uri>('backpropLens.exportTorch', out);
    assert.equal(written?.toString(), out.toString());
    const script = readFileSync(out.fsPath, 'utf8');
    assert.match(script, /class \w+\(nn\.Module\)/);
    assert.ok(
      readFileSync(path.join(path.dirname(out.fsPath), 'moons_model.check.json'), 'utf8').length > 0,
      'the check file is beside it',
    );
    const py = spawnSync(
      'python3',
      ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read())', out.fsPath],
      { encoding: 'utf8' },
    );
    if (py.error) report('Export as PyTorch Script: no python3 here to parse the script (skipped that part)');
    else assert.equal(py.status, 0, `python3 cannot parse the script: ${py.stderr}`);
  });

  it('Check Gradients Now reports per parameter; Export Model writes a file the CLI predicts with', async () => {
    await train(workspaceFile('moons.csv'), { settings: { epochs: 5, hidden: 4 }, ifBusy: 'stopAndStart' });
    const rep = await vscode.commands.executeCommand<GradcheckReport>('backpropLens.checkGradients');
    assert.deepEqual(
      rep.blocks.map((b) => b.name),
      ['W1', 'b1', 'W2', 'b2'],
    );
    assert.equal(rep.verdict, 'pass');
    const out = workspaceFile('moons.model.json');
    await vscode.commands.executeCommand('backpropLens.exportModel', out);
    const p = cli(['predict', out.fsPath, workspaceFile('moons.csv').fsPath, '--json']);
    assert.equal(p.code, 0, p.err);
    assert.equal(JSON.parse(p.out).predictions.length, 200);
    // Import it back: a paused run at the model's parameters.
    const imported = await vscode.commands.executeCommand<RunSummary>(
      'backpropLens.importModel',
      out,
      workspaceFile('moons.csv'),
    );
    assert.ok(imported);
    const model = JSON.parse(readFileSync(out.fsPath, 'utf8'));
    assert.deepEqual((await api()).currentRun()!.theta.slice(0, 8), model.params.W1.data);
    await vscode.commands.executeCommand('backpropLens.stop');
  });

  it('Open Example Workspace copies the bundled examples without overwriting', async () => {
    const target = workspaceFile('copy-here');
    await vscode.workspace.fs.createDirectory(target);
    await write('copy-here/backprop-lens-examples/xor.csv', 'mine\n');
    const dest = await vscode.commands.executeCommand<vscode.Uri>('backpropLens.openExamples', target, {
      open: false,
    });
    const names = (await vscode.workspace.fs.readDirectory(dest)).map(([n]) => n);
    for (const n of ['breast_cancer.csv', 'flower.csv', 'moons.csv', 'circles.csv'])
      assert.ok(names.includes(n), n);
    assert.equal(
      new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(dest, 'xor.csv'))),
      'mine\n',
    );
  });
});
