// Browser tests of the gradient inspector in a real VS Code (code-server + Chromium).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { assert, inspectorFrame, openFile, openWorkbench, runCommand, waitFor, writeWorkspaceSettings } from './lib.mjs';

/** The settings of a short deterministic run, as VS Code settings and as CLI flags. */
const RUN = { 'backpropLens.network.hidden': 3, 'backpropLens.training.seed': 7, 'backpropLens.training.epochs': 15, 'backpropLens.network.activation': 'tanh' };
const FLAGS = ['--hidden', '3', '--seed', '7', '--epochs', '15', '--activation', 'tanh'];

function fmt(x, digits = 4) {
  // The same rule as src/panel/format.ts fmt(), written out here as the test's reference.
  if (Number.isNaN(x)) return 'NaN';
  const a = Math.abs(x);
  if (a !== 0 && (a < 10 ** -(digits - 1) || a >= 1e5)) return x.toExponential(Math.max(1, digits - 2));
  return x.toFixed(digits);
}

function watchConsole(page) {
  const csp = [];
  const errors = [];
  page.on('console', (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to (load|apply|execute|connect|frame)/i.test(t)) csp.push(t);
    if (m.type() === 'error') errors.push(t);
  });
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  return { csp, errors, dialogs };
}

async function trainAndInspect(page, file) {
  await openFile(page, file);
  await runCommand(page, 'Backprop Lens: Train This File');
  await runCommand(page, 'Backprop Lens: Show Gradient Inspector');
  return inspectorFrame(page);
}

async function screenshotPanel(page, results, name) {
  const path = join(results, 'screenshots', name);
  await page.screenshot({ path, fullPage: false });
  return path;
}

export const tests = {
  async 'the inspector shows W1, b1, W2, b2 with the numbers the CLI gives; hover shows the exact value; the boundary is drawn; no CSP violation (dark theme)'({ page, workspace, root, results, url, log }) {
    writeWorkspaceSettings(workspace, { ...RUN, 'workbench.colorTheme': 'Default Dark Modern' });
    const seen = watchConsole(page);
    await openWorkbench(page, url);
    const f = await trainAndInspect(page, 'xor.csv');
    await waitFor('the finished run in the panel', async () => (await f.textContent('#badge'))?.includes('completed'), 60_000);
    // The CLI's parameters for the same seed and settings.
    execFileSync(process.execPath, [join(root, 'out', 'cli.js'), 'train', join(workspace, 'xor.csv'), ...FLAGS, '--save', join(workspace, 'cli.model.json')]);
    const model = JSON.parse(execFileSync('cat', [join(workspace, 'cli.model.json')], { encoding: 'utf8' }));
    for (const p of ['W1', 'b1', 'W2', 'b2']) {
      await f.click(`#table-${p}`);
      const shown = await waitFor(`the ${p} table`, async () => {
        const v = await f.$$eval(`#tbl-${p} td .v`, (tds) => tds.map((t) => t.textContent));
        return v.length ? v : null;
      }, 5000);
      const expected = model.params[p].data.map((v) => fmt(v));
      assert(JSON.stringify(shown) === JSON.stringify(expected), `${p}: panel ${JSON.stringify(shown)} vs CLI ${JSON.stringify(expected)}`);
    }
    // Hover the first cell of W1's value heatmap: the tooltip shows the exact double.
    await f.locator('#map-W1-value').hover({ position: { x: 2, y: 2 } });
    await waitFor('the tooltip', async () => !(await f.$eval('#tooltip', (t) => t.hidden)), 5000);
    const tipText = await f.textContent('#tooltip');
    assert(tipText.includes('W1[0,0]') && tipText.includes(`value   ${String(model.params.W1.data[0])}`), `tooltip: ${tipText}`);
    // The decision boundary canvas is drawn: many distinct colours.
    const colours = await f.$eval('#boundary', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const s = new Set();
      for (let i = 0; i < d.length; i += 4 * 37) s.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return s.size;
    });
    assert(colours > 20, `the boundary canvas has ${colours} colours`);
    // The chain rule is rendered by KaTeX, with numbers.
    const katexCount = await f.$$eval('#chain .katex', (e) => e.length);
    assert(katexCount >= 10, `${katexCount} KaTeX equations`);
    await screenshotPanel(page, results, 'inspector-dark.png');
    assert(seen.csp.length === 0, `CSP violations: ${seen.csp.join('\n')}`);
    assert(seen.dialogs.length === 0, `dialogs: ${seen.dialogs}`);
    log(`inspector: ${katexCount} equations, ${colours} boundary colours; screenshot test-results/screenshots/inspector-dark.png`);
  },
};
