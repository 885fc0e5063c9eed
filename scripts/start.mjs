// npm start: the main job.
//  1. Builds, then runs the headless CLI on the bundled examples (train, check).
//  2. Opens a real VS Code on examples/ with the extension loaded: the desktop
//     `code` CLI with --extensionDevelopmentPath when one is on PATH, otherwise
//     the local code-server (scripts/vscode-host.mjs) on 127.0.0.1, URL printed.
// `npm start -- --cli` stops after step 1; `-- --screenshot` takes a screenshot of step 2 and exits.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const cli = (a) => {
  console.log(`\n$ backprop-lens ${a.join(' ')}`);
  spawnSync(process.execPath, ['out/cli.js', ...a], { stdio: 'inherit' });
};
spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
cli(['train', 'examples/breast_cancer.csv']);
cli([
  'train',
  'examples/flower.csv',
  '--optimizer',
  'batch',
  '--hidden',
  '4',
  '--activation',
  'tanh',
  '--init',
  'small',
  '--lr',
  '1.2',
  '--epochs',
  '10000',
  '--split',
  '0',
  '--no-standardize',
]);
cli(['check', 'examples/xor.csv', '--hidden', '3']);
if (args.includes('--cli')) process.exit(0);

const code = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
if (code.status === 0 && !args.includes('--screenshot')) {
  console.log('\nOpening VS Code on examples/ with the extension under development …');
  spawnSync('code', ['--extensionDevelopmentPath', process.cwd(), 'examples'], { stdio: 'inherit' });
} else {
  spawnSync(process.execPath, ['scripts/vscode-host.mjs', 'start', ...args], { stdio: 'inherit' });
}
