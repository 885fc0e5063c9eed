// npm run test:desktop: the same VS Code suites in desktop VS Code, downloaded
// by @vscode/test-electron (needs internet; the offline harness is
// scripts/vscode-host.mjs). Counts land in test-results/vscode-result.json.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

const root = resolve(new URL('..', import.meta.url).pathname);
const workspace = mkdtempSync(join(tmpdir(), 'bpl-workspace-'));
cpSync(join(root, 'examples'), workspace, { recursive: true });
try {
  await runTests({
    version: process.env.BPL_VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'vscode', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (e) {
  console.error(`desktop VS Code tests failed: ${e.message ?? e}`);
  process.exit(1);
}
