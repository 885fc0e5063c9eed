// npm run manifest: regenerate package.json contributes.configuration and the experiment schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configuration, experimentSchema } from './manifest';

const root = join(__dirname, '..');
const pkgPath = join(root, 'package.json');
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
pkg.contributes = { ...(pkg.contributes ?? {}), configuration: configuration() };
writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  join(root, 'schemas', 'experiment.schema.json'),
  JSON.stringify(experimentSchema(), null, 2) + '\n',
);
console.log('package.json contributes.configuration and schemas/experiment.schema.json written');
