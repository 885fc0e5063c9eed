// Restricted Mode (an untrusted workspace): the declared behaviour holds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, openFile, openWorkbench, runCommand, waitFor, writeWorkspaceSettings } from './lib.mjs';

export const tests = {
  async '[restricted] an untrusted workspace trains and checks derivations; the workspace cannot change the size limit; nothing runs workspace content'({
    page,
    workspace,
    url,
    log,
  }) {
    // The workspace tries to lower the limit to 1 MB; in Restricted Mode that value is ignored (restrictedConfigurations).
    writeWorkspaceSettings(workspace, {
      'backpropLens.data.maxFileSizeMB': 1,
      'backpropLens.training.epochs': 3,
    });
    const line = '0.1,0.2,0\n0.3,0.4,1\n';
    writeFileSync(
      join(workspace, 'two-mb.csv'),
      'a,b,y\n' + line.repeat(Math.ceil((2 * 1024 * 1024) / line.length)),
    );
    writeFileSync(join(workspace, 'wrong.deriv'), 'dz2 = y - a2\n');
    const dialogs = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await openWorkbench(page, url);
    await waitFor(
      'the Restricted Mode indicator',
      async () => /Restricted Mode/i.test(await page.locator('.statusbar').textContent()),
      30_000,
    );
    await openFile(page, 'two-mb.csv');
    await runCommand(page, 'Backprop Lens: Train This File');
    await waitFor(
      'the finished run in the status bar',
      async () => /two-mb\.csv: completed/.test(await page.locator('.statusbar').textContent()),
      60_000,
    );
    // .deriv files are parsed and interpreted, never executed: the diagnostic appears in Restricted Mode too.
    await openFile(page, 'wrong.deriv');
    await waitFor(
      'the derivation diagnostic',
      async () =>
        /[1-9]/.test(
          (await page
            .locator('.statusbar [id="status.problems"]')
            .textContent()
            .catch(() => '')) ?? '',
        ),
      30_000,
    );
    assert(dialogs.length === 0, `dialogs: ${dialogs}`);
    log(
      'Restricted Mode: trained a 2 MB file despite the workspace setting maxFileSizeMB = 1 (ignored), and checked a derivation',
    );
  },
};
