// ESLint flat config. The project-specific rules are the layers (README,
// "Architecture"): src/core, src/data, src/derivation, src/training and src/export are pure
// (no VS Code, no DOM, no file system), so that the CLI, the training worker and
// plain mocha can all use them; and no layer imports one above it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const pureForbidden = {
  paths: [
    { name: 'vscode', message: 'Pure modules must not depend on the VS Code API.' },
    { name: 'fs', message: 'Pure modules must not touch the file system; take bytes or strings.' },
    { name: 'node:fs', message: 'Pure modules must not touch the file system; take bytes or strings.' },
    { name: 'fs/promises', message: 'Pure modules must not touch the file system.' },
    { name: 'node:fs/promises', message: 'Pure modules must not touch the file system.' },
  ],
};

/** Import patterns a layer may not use: the layers above it. */
const above = (...layers) =>
  layers.map((l) => ({
    group: [`**/${l}`, `**/${l}/**`],
    message: `A lower layer must not import ${l} (see README, Architecture).`,
  }));
const layer = (patterns, paths = []) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });
const LAYERS = [
  [['src/core/**/*.ts'], above('data', 'derivation', 'training', 'extension', 'panel', 'cli', 'protocol')],
  [['src/data/**/*.ts'], above('derivation', 'training', 'extension', 'panel', 'cli', 'protocol')],
  [['src/derivation/**/*.ts'], above('training', 'extension', 'panel', 'cli', 'protocol')],
  [['src/training/**/*.ts'], above('extension', 'panel', 'cli')],
  [['src/export/**/*.ts'], above('derivation', 'training', 'extension', 'panel', 'cli', 'protocol')],
];

export default tseslint.config(
  {
    ignores: [
      'assembly/**',
      'out/**',
      'node_modules/**',
      '.vscode-test/**',
      '.test-host/**',
      'dist/**',
      '**/*.vsix',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'error',
    },
  },
  ...LAYERS.map(([files, patterns]) => ({ files, rules: layer(patterns, pureForbidden.paths) })),
  {
    files: ['src/panel/**/*.ts', 'src/protocol.ts', 'src/webviewProtocol.ts'],
    rules: layer(above('extension', 'cli')),
  },
  { files: ['src/cli/**/*.ts'], rules: layer(above('extension', 'panel')) },
  { files: ['media/**/*.ts'], rules: layer(above('extension', 'cli', 'training', 'data', 'derivation')) },
  {
    files: [
      'src/core/**/*.ts',
      'src/data/**/*.ts',
      'src/derivation/**/*.ts',
      'src/training/**/*.ts',
      'src/export/**/*.ts',
    ],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'window', message: 'Pure modules must not use the DOM.' },
        { name: 'document', message: 'Pure modules must not use the DOM.' },
        { name: 'navigator', message: 'Pure modules must not use the DOM.' },
        { name: 'require', message: 'Use import.' },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Browser tests: code passed to page.evaluate runs in the page.
    files: ['test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    files: ['media/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
