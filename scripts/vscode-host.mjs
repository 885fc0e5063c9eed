// The project's real-VS-Code harness, offline: code-server (VS Code 1.100.3 for
// the browser) installed from the npm registry, driven by Debian's Chromium
// through playwright-core.
//
//   node scripts/vscode-host.mjs install   install the host into the cache (idempotent)
//   node scripts/vscode-host.mjs test      run out/test/vscode/*.test.js inside the extension host
//   node scripts/vscode-host.mjs e2e       run test/e2e/*.mjs (browser tests of the UI)
//   node scripts/vscode-host.mjs start     serve VS Code on examples/ with the extension loaded
//
// The cache is $BPL_HOST_DIR or ~/.cache/backprop-lens/code-server-<version>.
// Needs the Debian packages chromium, ripgrep and libkrb5-dev (scripts/setup.sh).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const VERSION = '4.100.3';
const PLAYWRIGHT = '1.65.1';
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const HOST = process.env.BPL_HOST_DIR || join(homedir(), '.cache', 'backprop-lens', `code-server-${VERSION}`);
const MARKER = join(HOST, '.installed');
const VSCODE = join(HOST, 'node_modules', 'code-server', 'lib', 'vscode');
const CHROMIUM = process.env.BPL_CHROMIUM || '/usr/bin/chromium';
const RESULTS = join(ROOT, 'test-results');

const log = (s) => console.log(`[vscode-host] ${s}`);

function sh(cmd, args, cwd, quiet = true) {
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) failed (${r.status}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`,
    );
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function install() {
  if (existsSync(MARKER) && readFileSync(MARKER, 'utf8').trim() === `${VERSION} ${PLAYWRIGHT}`) return;
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!which('rg')) missing.push('ripgrep');
  if (!existsSync('/usr/include/gssapi/gssapi.h') && !existsSync('/usr/include/krb5.h'))
    missing.push('libkrb5-dev');
  if (missing.length)
    throw new Error(
      `the VS Code test host needs the Debian packages: ${missing.join(' ')} (run: bash scripts/setup.sh)`,
    );
  const t0 = Date.now();
  log(`installing code-server ${VERSION} into ${HOST} …`);
  rmSync(HOST, { recursive: true, force: true });
  mkdirSync(HOST, { recursive: true });
  writeFileSync(join(HOST, 'package.json'), JSON.stringify({ name: 'bpl-vscode-host', private: true }));
  // code-server's own postinstall downloads ripgrep: install without scripts and do its steps here.
  sh(
    'npm',
    [
      'install',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `code-server@${VERSION}`,
      `playwright-core@${PLAYWRIGHT}`,
    ],
    HOST,
  );
  sh('npm', ['rebuild', 'argon2'], HOST);
  sh('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], VSCODE);
  for (const m of [
    'kerberos',
    '@parcel/watcher',
    '@vscode/spdlog',
    '@vscode/deviceid',
    'native-watchdog',
    'node-pty',
  ]) {
    sh('npx', ['--yes', 'node-gyp', 'rebuild'], join(VSCODE, 'node_modules', m));
  }
  mkdirSync(join(VSCODE, 'node_modules', '@vscode', 'ripgrep', 'bin'), { recursive: true });
  copyFileSync(which('rg'), join(VSCODE, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
  const link = (target, path) => {
    rmSync(path, { force: true });
    symlinkSync(target, path);
  };
  link('node_modules', join(VSCODE, 'node_modules.asar'));
  link('code-linux.sh', join(VSCODE, 'bin', 'remote-cli', 'code-server'));
  link('browser-linux.sh', join(VSCODE, 'bin', 'helpers', 'browser.sh'));
  sh(
    'npm',
    ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
    join(VSCODE, 'extensions'),
  );
  writeFileSync(MARKER, `${VERSION} ${PLAYWRIGHT}\n`);
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

/**
 * The suites' user settings: runs at full speed, as the tests measure and wait for them (a user's short runs are
 * paced to about 20 s so that they can be watched: backpropLens.training.minSeconds).
 */
const TEST_SETTINGS = { 'backpropLens.training.minSeconds': 0 };

/** Start code-server on a fresh profile; resolves when it answers. */
export async function serve(workspace, { settings = {}, restricted = false } = {}) {
  const port = await freePort();
  const userData = mkdtempSync(join(tmpdir(), 'bpl-vscode-user-'));
  const extensions = mkdtempSync(join(tmpdir(), 'bpl-vscode-ext-'));
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'update.mode': 'none',
        'workbench.enableExperiments': false,
        'chat.disableAIFeatures': true,
        'git.openRepositoryInParentFolders': 'never',
        'git.enabled': false,
        ...settings,
        ...(restricted
          ? {
              'security.workspace.trust.enabled': true,
              'security.workspace.trust.startupPrompt': 'never',
              'security.workspace.trust.untrustedFiles': 'open',
            }
          : {}),
      },
      null,
      2,
    ),
  );
  const entry = join(HOST, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const proc = spawn(
    process.execPath,
    [
      entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(restricted ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensions,
      workspace,
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BPL_REPO: ROOT, BPL_TRACE: '1' }, // src/trace.ts: latency traces in the page's console
    },
  );
  let output = '';
  proc.stdout.on('data', (d) => {
    output += d;
    if (process.env.BPL_VERBOSE) process.stdout.write(d);
  });
  proc.stderr.on('data', (d) => {
    output += d;
    if (process.env.BPL_VERBOSE) process.stderr.write(d);
  });
  const stop = async () => {
    if (proc.exitCode !== null) return;
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50 && proc.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(userData, { recursive: true, force: true });
    rmSync(extensions, { recursive: true, force: true });
  };
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`code-server exited (${proc.exitCode}):\n${output.slice(-3000)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() - t0 > 60_000) {
      await stop();
      throw new Error(`code-server did not answer within 60 s:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    proc,
    stop,
    output: () => output,
    url: (payload) =>
      `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}${payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`,
  };
}

export function devPayload(port, withTests) {
  const p = [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${ROOT}`]];
  if (withTests)
    p.push(['extensionTestsPath', `vscode-remote://127.0.0.1:${port}${ROOT}/out/test/vscode/index.js`]);
  return p;
}

export async function browser() {
  const require = createRequire(join(HOST, 'package.json'));
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A scratch copy of examples/ to open as the workspace (tests may write into it). */
export function scratchWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'bpl-workspace-'));
  cpSync(join(ROOT, 'examples'), dir, { recursive: true });
  for (const f of readdirSync(dir)) {
    try {
      execFileSync('chmod', ['u+w', join(dir, f)]);
    } catch {
      /* fine */
    }
  }
  return dir;
}

function writeCounts(c) {
  if (process.env.BPL_COUNTS) writeFileSync(process.env.BPL_COUNTS, JSON.stringify(c));
}

async function runSuites() {
  install();
  mkdirSync(RESULTS, { recursive: true });
  for (const f of ['vscode-result.json', 'vscode-log.txt', 'measurements.txt'])
    rmSync(join(RESULTS, f), { force: true });
  const workspace = scratchWorkspace();
  const server = await serve(workspace, { settings: TEST_SETTINGS });
  const b = await browser();
  let code = 1;
  try {
    const page = await b.newPage();
    const exit = new Promise((res) => page.exposeFunction('codeAutomationExit', (c) => res(c)));
    page.on('console', (m) => {
      if (process.env.BPL_VERBOSE) console.log(`[browser] ${m.text()}`);
    });
    await page.goto(server.url(devPayload(server.port, true)));
    // Stream the suite's log while it runs.
    let shown = 0;
    const logFile = join(RESULTS, 'vscode-log.txt');
    const tail = setInterval(() => {
      if (!existsSync(logFile)) return;
      const text = readFileSync(logFile, 'utf8');
      if (text.length > shown) {
        process.stdout.write(text.slice(shown));
        shown = text.length;
      }
    }, 250);
    const timeout = new Promise((res) =>
      setTimeout(() => res('timeout'), Number(process.env.BPL_VSCODE_TIMEOUT_MS || 30 * 60_000)),
    );
    const r = await Promise.race([exit, timeout]);
    await new Promise((res) => setTimeout(res, 300));
    clearInterval(tail);
    if (existsSync(logFile)) process.stdout.write(readFileSync(logFile, 'utf8').slice(shown));
    if (r === 'timeout') log('timed out waiting for the suites to finish');
    code = r === 'timeout' ? 1 : Number(r);
    const resultFile = join(RESULTS, 'vscode-result.json');
    if (existsSync(resultFile)) writeCounts(JSON.parse(readFileSync(resultFile, 'utf8')));
    else
      log(`the suites reported no result (exit code ${r}); server output:\n${server.output().slice(-4000)}`);
  } finally {
    await b.close();
    await server.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
  return code;
}

async function runE2e() {
  install();
  const only = process.env.BPL_E2E_ONLY;
  mkdirSync(join(RESULTS, 'screenshots'), { recursive: true });
  const files = existsSync(join(ROOT, 'test', 'e2e'))
    ? readdirSync(join(ROOT, 'test', 'e2e'))
        .filter((f) => f.endsWith('.mjs'))
        .sort()
    : [];
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const f of files) {
    const mod = await import(join(ROOT, 'test', 'e2e', f));
    for (const [name, fn] of Object.entries(mod.tests ?? {})) {
      if (only && !name.includes(only)) continue;
      // A browser test that fails is run once more on a fresh server and browser (say so); failing twice fails.
      for (let attempt = 1; attempt <= 2; attempt++) {
        const outcome = await runE2eTest(f, name, fn, mod, attempt);
        if (outcome === 'passed') {
          counts.passed++;
          if (attempt > 1) counts.retried = (counts.retried ?? 0) + 1;
          break;
        }
        if (attempt === 2) counts.failed++;
        else console.log(`    retrying once on a fresh server and browser: ${name}`);
      }
    }
  }
  writeCounts({ passed: counts.passed, failed: counts.failed, skipped: counts.skipped });
  console.log(
    `e2e: ${counts.passed} passed (${counts.retried ?? 0} of them on a retry), ${counts.failed} failed`,
  );
  return counts.failed ? 1 : 0;
}

async function runE2eTest(file, name, fn, mod, attempt) {
  const workspace = scratchWorkspace();
  const server = await serve(workspace, {
    settings: { ...TEST_SETTINGS, ...(mod.settings ?? {}) },
    restricted: name.includes('[restricted]'),
  });
  const b = await browser();
  const t0 = Date.now();
  let page;
  try {
    page = await b.newPage({ viewport: { width: 1400, height: 900 } });
    await fn({
      page,
      server,
      workspace,
      root: ROOT,
      results: RESULTS,
      url: server.url(devPayload(server.port, false)),
      log,
    });
    console.log(`  ✔ ${file}: ${name} (${Date.now() - t0} ms)${attempt > 1 ? ' (passed on retry)' : ''}`);
    return 'passed';
  } catch (e) {
    const shot = join(
      RESULTS,
      'screenshots',
      `failed-${attempt}-${name.slice(0, 40).replace(/[^A-Za-z0-9]+/g, '-')}.png`,
    );
    await page?.screenshot({ path: shot }).then(
      () => console.log(`    screenshot of the failure: ${shot}`),
      () => undefined,
    );
    console.log(
      `  ✘ ${file}: ${name}${attempt > 1 ? ' (again, on retry)' : ''}\n${String(e?.stack ?? e)
        .split('\n')
        .map((l) => '      ' + l)
        .join('\n')}`,
    );
    return 'failed';
  } finally {
    await b.close();
    await server.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
}

async function start() {
  install();
  const server = await serve(join(ROOT, 'examples'));
  const url = server.url(devPayload(server.port, false));
  console.log(
    `\nBackprop Lens is running in VS Code (code-server ${VERSION}) on examples/:\n\n  ${url}\n\nOpen it in a browser; press Ctrl+C to stop.`,
  );
  const shutdown = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  if (process.argv.includes('--screenshot')) {
    const b = await browser();
    const page = await b.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 4000));
    mkdirSync(join(RESULTS, 'screenshots'), { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'screenshots', 'start.png') });
    console.log(`screenshot: ${join(RESULTS, 'screenshots', 'start.png')}`);
    await b.close();
    await shutdown();
  }
  await new Promise(() => {});
}

const direct = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
const cmd = direct ? process.argv[2] : undefined;
const main =
  direct &&
  {
    install: async () => {
      install();
      return 0;
    },
    test: runSuites,
    e2e: runE2e,
    start,
  }[cmd];
if (direct && !main) {
  console.error('usage: node scripts/vscode-host.mjs install|test|e2e|start');
  process.exit(1);
}
if (main)
  main().then(
    (c) => process.exit(c ?? 0),
    (e) => {
      console.error(`[vscode-host] ${e.stack ?? e}`);
      writeCounts({ passed: 0, failed: 1, skipped: 0 });
      process.exit(1);
    },
  );
