// npm start: the main job. Builds, then runs the headless CLI on the bundled
// examples (train, gradient check) so a newcomer sees the whole pipeline.
import { spawnSync } from 'node:child_process';

const run = (args) => {
  console.log(`\n$ backprop-lens ${args.join(' ')}`);
  spawnSync(process.execPath, ['out/cli.js', ...args], { stdio: 'inherit' });
};
spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
run(['train', 'examples/breast_cancer.csv']);
run(['train', 'examples/flower.csv', '--optimizer', 'batch', '--hidden', '4', '--activation', 'tanh', '--init', 'small', '--lr', '1.2', '--epochs', '10000', '--split', '0', '--no-standardize']);
run(['check', 'examples/xor.csv', '--hidden', '3']);
