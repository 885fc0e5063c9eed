/**
 * extensionTestsPath entry: runs every out/test/vscode/*.test.js with mocha
 * inside the real extension host. Progress goes to the console and to
 * test-results/vscode-log.txt (the harness prints it as it grows); counts go to
 * test-results/vscode-result.json. Works the same under code-server
 * (scripts/vscode-host.mjs) and desktop VS Code (@vscode/test-electron).
 */
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

const root = path.resolve(__dirname, '..', '..', '..');
const results = path.join(root, 'test-results');

export function run(): Promise<void> {
  mkdirSync(results, { recursive: true });
  const logFile = path.join(results, 'vscode-log.txt');
  writeFileSync(logFile, '');
  const say = (s: string) => {
    appendFileSync(logFile, s + '\n');
    console.log(s);
  };
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, color: false, reporter: class {} as never });
  if (process.env.BPL_VSCODE_GREP) mocha.grep(process.env.BPL_VSCODE_GREP);
  for (const f of readdirSync(__dirname).sort())
    if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const runner = mocha.run((failures) => {
      writeFileSync(path.join(results, 'vscode-result.json'), JSON.stringify(counts));
      say(`vscode suites: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
      if (failures) reject(new Error(`${failures} VS Code test(s) failed`));
      else resolve();
    });
    let depth = 0;
    runner.on('suite', (s) => {
      if (s.title) say(`${'  '.repeat(depth)}${s.title}`);
      if (s.title) depth++;
    });
    runner.on('suite end', (s) => {
      if (s.title) depth--;
    });
    runner.on('pass', (t) => {
      counts.passed++;
      say(`${'  '.repeat(depth)}✔ ${t.title} (${t.duration} ms)`);
    });
    runner.on('pending', (t) => {
      counts.skipped++;
      say(`${'  '.repeat(depth)}- ${t.title} (skipped)`);
    });
    runner.on('fail', (t, err) => {
      counts.failed++;
      say(
        `${'  '.repeat(depth)}✘ ${t.title}\n${String((err as Error)?.stack ?? err)
          .split('\n')
          .map((l) => '      ' + l)
          .join('\n')}`,
      );
    });
  });
}
