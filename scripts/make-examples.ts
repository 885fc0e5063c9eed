/**
 * Writes the synthetic example datasets into examples/ from fixed seeds
 * (npm run examples). The breast-cancer data is a copy of the real Wisconsin
 * data set, not generated; see examples/breast_cancer.about.rst.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { circles, flower, moons, xor, type Points } from '../src/data/synthetic';

const dir = join(__dirname, '..', 'examples');

function csv(P: Points): string {
  const lines = ['x1,x2,label'];
  for (let i = 0; i < P.Y.length; i++) lines.push(`${P.X[2 * i]},${P.X[2 * i + 1]},${P.Y[i]}`);
  return lines.join('\n') + '\n';
}

for (const [name, P] of [
  ['flower', flower()],
  ['xor', xor()],
  ['circles', circles()],
  ['moons', moons()],
] as const) {
  writeFileSync(join(dir, `${name}.csv`), csv(P));
  console.log(`examples/${name}.csv: ${P.Y.length} points`);
}
