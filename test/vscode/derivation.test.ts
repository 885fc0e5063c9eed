import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/extension/runs';
import { api, sleep, workspaceFile, write } from './helpers';

const SEED = [
  'dz2 = a2 - y',
  'dW2 = dz2 @ a1.T',
  'db2 = dz2',
  'dz1 = W2.T @ dz2 * a1 * (1 - a1)',
  'dW1 = dz1 @ x.T',
  'db1 = dz1',
];
const WRONG = [...SEED.slice(0, 3), 'dz1 = W2.T @ dz2', ...SEED.slice(4)]; // σ' missing on line 4

const ours = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Backprop Lens');

/** Resolves with the diagnostics of uri once pred holds for them (checked on every onDidChangeDiagnostics). */
function diagnosticsWhen(
  uri: vscode.Uri,
  pred: (d: vscode.Diagnostic[]) => boolean,
  timeoutMs = 20_000,
): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const now = ours(uri);
    if (pred(now)) return resolve(now);
    const t = setTimeout(() => {
      sub.dispose();
      reject(
        new Error(
          `diagnostics of ${uri.path} never matched; last: ${JSON.stringify(ours(uri).map((d) => d.message))}`,
        ),
      );
    }, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const d = ours(uri);
      if (pred(d)) {
        clearTimeout(t);
        sub.dispose();
        resolve(d);
      }
    });
  });
}

async function replaceAll(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit));
}

describe('.deriv files in a real VS Code', function () {
  this.timeout(120_000);

  it('a wrong derivation gets an Error on its root line with the numbers first, Information on the lines that depend on it', async () => {
    await api();
    const uri = await write('wrong.deriv', WRONG.join('\n') + '\n');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'backprop-derivation');
    const diags = await diagnosticsWhen(uri, (d) =>
      d.some((x) => x.severity === vscode.DiagnosticSeverity.Error),
    );
    const errors = diags.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.equal(errors.length, 1);
    const e = errors[0];
    assert.equal(e.range.start.line, 3);
    assert.deepEqual([e.range.start.character, e.range.end.character], [0, 'dz1 = W2.T @ dz2'.length]);
    assert.match(
      e.message.split('\n')[0],
      /^dz1 disagrees with the numeric gradient: rel\. error \d\.\de[+-]\d+ > 1e-7 \(worst z1\[\d,0\]: formula -?\d+\.\d+, numeric -?\d+\.\d+\)$/,
    );
    assert.match(e.message, /likely cause: the derivative factor g'\(z1\) is missing/);
    assert.equal(e.source, 'Backprop Lens');
    const code = e.code as { value: string; target: vscode.Uri };
    assert.equal(code.value, 'gradient-mismatch');
    assert.ok(
      code.target.path.endsWith('/README.md') && code.target.fragment === 'diagnostic-gradient-mismatch',
    );
    const infos = diags.filter((d) => d.severity === vscode.DiagnosticSeverity.Information);
    assert.deepEqual(
      infos.map((d) => d.range.start.line),
      [4, 5],
    );
    assert.match(infos[0].message, /depends on dz1/);
    assert.equal(
      infos[0].relatedInformation![0].location.range.start.line,
      3,
      'related information points at the root line',
    );
  });

  it("fixing the text makes the diagnostic go; under rapid edits only the last text's result lands", async () => {
    const uri = workspaceFile('wrong.deriv');
    const doc = await vscode.workspace.openTextDocument(uri);
    await replaceAll(doc, SEED.join('\n') + '\n');
    await diagnosticsWhen(uri, (d) => d.length === 0);
    // Ten edits in a row, alternating wrong and right, ending wrong: the final diagnostics are the wrong text's.
    for (let i = 0; i < 10; i++) await replaceAll(doc, (i % 2 ? SEED : WRONG).join('\n') + `\n# edit ${i}\n`);
    await replaceAll(doc, WRONG.join('\n') + '\n# last\n');
    const d = await diagnosticsWhen(uri, (x) =>
      x.some((y) => y.severity === vscode.DiagnosticSeverity.Error),
    );
    await sleep(600); // past the debounce: nothing stale may land afterwards
    assert.deepEqual(
      ours(uri).map((x) => x.message),
      d.map((x) => x.message),
    );
    await replaceAll(doc, SEED.join('\n') + '\n');
    await diagnosticsWhen(uri, (x) => x.length === 0);
  });

  it("CodeLens shows each gradient line's status; hover shows shape and values; the Quick Fix inserts the textbook formula", async () => {
    const uri = workspaceFile('wrong.deriv');
    const doc = await vscode.workspace.openTextDocument(uri);
    await replaceAll(doc, WRONG.join('\n') + '\n');
    const diags = await diagnosticsWhen(uri, (d) =>
      d.some((x) => x.severity === vscode.DiagnosticSeverity.Error),
    );
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      uri,
    );
    const titles = lenses.map((l) => `${l.range.start.line}: ${l.command?.title}`);
    assert.equal(lenses.length, 6, titles.join('\n'));
    assert.match(titles[0], /^0: dz2: .*matches the numeric gradient · rel\. error/);
    assert.match(titles[3], /^3: dz1: .*disagrees with the numeric gradient · rel\. error/);
    assert.match(titles[4], /^4: dW1: .*wrong only through an earlier gradient/);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(0, 1),
    );
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)))
      .join('\n');
    assert.match(text, /\*\*dz2\*\* · 1×1/);
    const w1 = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(4, 7),
    );
    assert.match(
      w1.flatMap((h) => h.contents.map((c) => (c as vscode.MarkdownString).value)).join('\n'),
      /\*\*dz1\*\* · h×1/,
    );
    const err = diags.find((x) => x.severity === vscode.DiagnosticSeverity.Error)!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      err.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => a.title.startsWith('Use the textbook formula'));
    assert.ok(fix, actions.map((a) => a.title).join(', '));
    assert.equal(fix.title, 'Use the textbook formula: dz1 = W2.T @ dz2 * a1 * (1 - a1)');
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.equal(doc.lineAt(3).text, 'dz1 = W2.T @ dz2 * a1 * (1 - a1)');
    await diagnosticsWhen(uri, (d) => d.length === 0);
  });

  it('the hidden activation follows the settings: under tanh the textbook a1 * (1 - a1) is flagged', async () => {
    const uri = workspaceFile('wrong.deriv');
    const cfg = vscode.workspace.getConfiguration('backpropLens');
    await cfg.update('network.activation', 'tanh', vscode.ConfigurationTarget.Workspace);
    try {
      const d = await diagnosticsWhen(uri, (x) =>
        x.some((y) => y.severity === vscode.DiagnosticSeverity.Error),
      );
      const e = d.find((x) => x.severity === vscode.DiagnosticSeverity.Error)!;
      assert.equal(e.range.start.line, 3);
      assert.match(
        e.message,
        /a1 \* \(1 - a1\) is the sigmoid's derivative, but the hidden activation is tanh/,
      );
    } finally {
      await cfg.update('network.activation', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await diagnosticsWhen(uri, (d) => d.length === 0);
  });

  it('an invalid setting (a negative learning rate) does not stop the checks: the other settings still apply, nothing throws', async () => {
    const uri = await write(
      'invalid-settings.deriv',
      SEED.join('\n').replace('a1 * (1 - a1)', '(1 - a1 ** 2)'),
    );
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const cfg = vscode.workspace.getConfiguration('backpropLens');
    await diagnosticsWhen(uri, (x) => x.some((y) => y.severity === vscode.DiagnosticSeverity.Error)); // sigmoid: wrong
    // The settings change re-checks the file; before, reading the settings threw in a timer (an uncaught exception).
    await cfg.update('training.learningRate', -1, vscode.ConfigurationTarget.Workspace);
    await cfg.update('network.activation', 'tanh', vscode.ConfigurationTarget.Workspace);
    try {
      await diagnosticsWhen(uri, (x) => !x.some((y) => y.severity === vscode.DiagnosticSeverity.Error)); // tanh: right
      await sleep(600);
    } finally {
      await cfg.update('training.learningRate', undefined, vscode.ConfigurationTarget.Workspace);
      await cfg.update('network.activation', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('shape and syntax errors range the operator and the offending token; unknown names suggest the closest', async () => {
    const uri = await write(
      'shapes.deriv',
      'dz2 = a2 - y\ndz1 = W2.T @ dz2 * a1 * (1 - a1)\ndW1 = dz1 @ x\nq = (dz1 + 1\nr = dZ1\n',
    );
    await vscode.window.showTextDocument(uri);
    const d = await diagnosticsWhen(
      uri,
      (x) => x.filter((y) => y.severity === vscode.DiagnosticSeverity.Error).length >= 3,
    );
    const shape = d.find((x) => (x.code as { value: string }).value === 'shape')!;
    assert.equal(shape.message, '(h×1) @ (n×1): inner dimensions 1 and n differ');
    assert.deepEqual(
      [shape.range.start.line, shape.range.start.character, shape.range.end.character],
      [2, 10, 11],
    );
    const syntax = d.find((x) => (x.code as { value: string }).value === 'syntax')!;
    assert.deepEqual([syntax.range.start.line, syntax.range.start.character], [3, 4]);
    const unknown = d.find((x) => (x.code as { value: string }).value === 'unknown-name')!;
    assert.match(unknown.message, /unknown name dZ1 \(did you mean dz1\?\)/);
    assert.deepEqual(
      [unknown.range.start.line, unknown.range.start.character, unknown.range.end.character],
      [4, 4, 7],
    );
  });

  it('Test Explorer: gradient lines are tests that pass or fail with the same numbers', async () => {
    const uri = await write('tests.deriv', WRONG.join('\n') + '\n');
    const controller = (await api()).derivationTests;
    const outcomes: Array<[string, string, string?]> = [];
    const original = controller.createTestRun.bind(controller);
    controller.createTestRun = (req, name, persist) => {
      const run = original(req, name, persist);
      const passed = run.passed.bind(run),
        failed = run.failed.bind(run),
        errored = run.errored.bind(run);
      run.passed = (t, ms) => {
        outcomes.push([t.label, 'passed']);
        passed(t, ms);
      };
      run.failed = (t, m, ms) => {
        outcomes.push([t.label, 'failed', (Array.isArray(m) ? m[0] : m).message.toString()]);
        failed(t, m, ms);
      };
      run.errored = (t, m, ms) => {
        outcomes.push([t.label, 'errored']);
        errored(t, m, ms);
      };
      return run;
    };
    try {
      await controller.resolveHandler!(undefined);
      const file = controller.items.get(uri.toString());
      assert.ok(file, 'the .deriv file is discovered');
      assert.deepEqual(
        [...iter(file.children)].map((t) => t.label),
        ['dz2', 'dW2', 'db2', 'dz1', 'dW1', 'db1'],
      );
      const runHandler = (await api()).testing!.runDerivationTests;
      await runHandler(new vscode.TestRunRequest([file]), new vscode.CancellationTokenSource().token);
    } finally {
      controller.createTestRun = original;
    }
    const byName = Object.fromEntries(outcomes.map((o) => [o[0], o]));
    assert.equal(byName.dz2[1], 'passed');
    assert.equal(byName.dz1[1], 'failed');
    assert.match(byName.dz1[2]!, /^dz1 disagrees with the numeric gradient: rel\. error/);
    assert.equal(byName.dW1[1], 'failed');
    assert.match(byName.dW1[2]!, /depends on dz1/);
  });

  it('a bad dataset gets a diagnostic on the right line, cleared when the file is fixed', async () => {
    const uri = await write('bad-data.csv', 'x1,x2,label\n1,2,0\n\n3,4,1\n5,six,0\n');
    const s = await vscode.commands.executeCommand<RunSummary>('backpropLens.trainFile', uri, {
      ifBusy: 'stopAndStart',
    });
    assert.equal(s.status, 'data-error');
    const d = await diagnosticsWhen(uri, (x) => x.length === 1);
    assert.equal(d[0].range.start.line, 4);
    // Data as it comes: a column of numbers with one text cell is a mixed column, reported at the minority's cell.
    assert.equal(
      d[0].message,
      'column "x2" has numbers and text: "six" at line 5 (2 numbers, 1 text cell); a column is either numbers or categories',
    );
    assert.equal(d[0].severity, vscode.DiagnosticSeverity.Error);
    await write('bad-data.csv', 'x1,x2,label\n1,2,0\n\n3,4,1\n5,6,0\n');
    await diagnosticsWhen(uri, (x) => x.length === 0);
  });

  it('New Derivation File writes the reference derivation, which checks clean; Train With This Derivation learns with it and fails with a wrong one', async () => {
    const uri = workspaceFile('new.deriv');
    await vscode.commands.executeCommand('backpropLens.newDerivation', uri);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.match(text, /^dz1 = W2\.T @ dz2 \* a1 \* \(1 - a1\)/m);
    await sleep(500);
    await diagnosticsWhen(uri, (x) => x.length === 0);
    const settings = { epochs: 30, hidden: 4, optimizer: 'minibatch', batchSize: 8, lr: 0.5, split: 0 };
    const good = await vscode.commands.executeCommand<RunSummary>(
      'backpropLens.trainWithDerivation',
      uri,
      workspaceFile('moons.csv'),
      { settings, ifBusy: 'stopAndStart' },
    );
    const bad = await write('bad-sign.deriv', text.replace(/^dz2 = a2 - y$/m, 'dz2 = y - a2'));
    const wrong = await vscode.commands.executeCommand<RunSummary>(
      'backpropLens.trainWithDerivation',
      bad,
      workspaceFile('moons.csv'),
      { settings, ifBusy: 'stopAndStart' },
    );
    assert.ok(good.train!.accuracy > 0.8, `seed derivation: ${good.train!.accuracy}`);
    assert.ok(
      wrong.train!.loss > 2 * good.train!.loss,
      `flipped sign: loss ${wrong.train!.loss} vs ${good.train!.loss}`,
    );
  });
});

function* iter(c: vscode.TestItemCollection): Generator<vscode.TestItem> {
  const all: vscode.TestItem[] = [];
  c.forEach((t) => all.push(t));
  yield* all.sort((a, b) => (a.range?.start.line ?? 0) - (b.range?.start.line ?? 0));
}
