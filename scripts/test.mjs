// npm test: the whole suite. Build, lint, type-check, then every test stage;
// ends with one line "N passed, N failed" (CI reads that line, not mocha's).
// Stages: unit (plain mocha) and, when the VS Code test host is installed
// (scripts/setup.sh), the suites inside a real VS Code and the browser tests.
// BPL_SKIP_VSCODE=1 runs the unit stage only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const totals = { passed: 0, failed: 0, skipped: 0 };
const scratch = mkdtempSync(join(tmpdir(), 'bpl-test-'));

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

/** A stage that reports counts through BPL_COUNTS; a crash without counts counts as one failure. */
function stage(name, cmd, args) {
  const counts = join(scratch, `${name}.json`);
  const ok = step(name, cmd, args, { BPL_COUNTS: counts });
  let c = null;
  try {
    c = JSON.parse(readFileSync(counts, 'utf8'));
  } catch {
    /* no counts */
  }
  if (!c) c = { passed: 0, failed: 1, skipped: 0 };
  else if (!ok && c.failed === 0) c.failed = 1; // exited non-zero without a failing test: count it
  console.log(`=== ${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  totals.passed += c.passed;
  totals.failed += c.failed;
  totals.skipped += c.skipped;
}

const checks = [
  ['build', 'node', ['scripts/build.mjs']],
  ['lint', 'npx', ['eslint', '.']],
  ['format', 'npx', ['prettier', '--check', '.']],
  ['typecheck', 'npx', ['tsc', '--noEmit', '-p', '.']],
  ['typecheck webview', 'npx', ['tsc', '--noEmit', '-p', 'media']],
];
for (const [name, cmd, args] of checks) {
  if (step(name, cmd, args)) totals.passed++;
  else {
    totals.failed++;
    console.log(`=== ${name} FAILED`);
  }
}

stage('unit', 'npx', ['mocha', '--reporter', join(root, 'test', 'count-reporter.cjs')]);

const host = join(root, 'scripts', 'vscode-host.mjs');
if (process.env.BPL_SKIP_VSCODE) console.log('\n=== VS Code stages skipped (BPL_SKIP_VSCODE)');
else if (existsSync(host) && existsSync(join(root, 'out', 'test', 'vscode', 'index.js'))) {
  stage('vscode', 'node', [host, 'test']);
  if (
    existsSync(join(root, 'test', 'e2e')) &&
    readdirSync(join(root, 'test', 'e2e')).some((f) => f.endsWith('.mjs'))
  ) {
    stage('e2e', 'node', [host, 'e2e']);
  }
}

console.log(
  `\n${totals.passed} passed, ${totals.failed} failed` +
    (totals.skipped ? `, ${totals.skipped} skipped` : ''),
);
process.exit(totals.failed ? 1 : 0);
