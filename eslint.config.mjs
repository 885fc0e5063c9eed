// ESLint flat config. The one project-specific rule: src/core, src/data and
// src/derivation are pure (no VS Code, no DOM, no file system), so that the
// CLI, the training worker and plain mocha can all use them.
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

export default tseslint.config(
  { ignores: ['assembly/**', 'out/**', 'node_modules/**', '.vscode-test/**', '.test-host/**', 'dist/**', '**/*.vsix'] },
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
  {
    files: ['src/core/**/*.ts', 'src/data/**/*.ts', 'src/derivation/**/*.ts'],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-imports': ['error', pureForbidden],
      'no-restricted-globals': ['error',
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
