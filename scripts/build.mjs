// Builds every bundle with esbuild: CLI, benchmark, and (when present) the
// extension, its training worker, the webview front end and the VS Code test suites.
// Usage: node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, readdirSync, chmodSync, copyFileSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  define: { __VERSION__: JSON.stringify(pkg.version) },
  mainFields: ['module', 'main'], // ESM builds first: jsonc-parser's UMD build requires files dynamically
  logLevel: 'warning',
};

const builds = [
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'out/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: ['bench/bench.ts'], outfile: 'out/bench.js' },
];
const optional = [
  [['src/extension/extension.ts'], { ...node, outfile: 'out/extension.js', external: ['vscode'] }],
  [['src/training/worker.ts'], { ...node, outfile: 'out/worker.js' }],
  [['media/main.ts'], { bundle: true, platform: 'browser', format: 'iife', target: 'es2022', outfile: 'out/webview/main.js', sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', define: { __TEST_HOOKS__: String(!production) } }],
];
// The VS Code suites: one bundle per file (mocha adds them one by one); vscode and mocha come from the host and node_modules.
if (existsSync('test/vscode/index.ts')) {
  const suites = readdirSync('test/vscode').filter((f) => f === 'index.ts' || f.endsWith('.test.ts')).map((f) => `test/vscode/${f}`);
  builds.push({ ...node, entryPoints: suites, outdir: 'out/test/vscode', external: ['vscode', 'mocha'] });
}
for (const [entryPoints, opts] of optional) if (entryPoints.every((e) => existsSync(e))) builds.push({ ...opts, entryPoints });

// The webview's static assets: our CSS, KaTeX's CSS and fonts, uPlot's CSS.
function copyAssets() {
  mkdirSync('out/webview/katex/fonts', { recursive: true });
  copyFileSync('media/inspector.css', 'out/webview/inspector.css');
  copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'out/webview/uPlot.min.css');
  copyFileSync('node_modules/katex/dist/katex.min.css', 'out/webview/katex/katex.min.css');
  for (const f of readdirSync('node_modules/katex/dist/fonts')) if (f.endsWith('.woff2')) copyFileSync(`node_modules/katex/dist/fonts/${f}`, `out/webview/katex/fonts/${f}`);
}
if (existsSync('media/main.ts')) copyAssets();

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log(`watching ${builds.length} bundles`);
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('out/cli.js', 0o755);
  console.log(`built ${builds.map((b) => b.outfile ?? b.outdir).join(', ')}`);
}
