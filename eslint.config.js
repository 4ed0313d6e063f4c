import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint-rules/layers.js';

export default tseslint.config(
  { ignores: ['dist/', 'packages/*/dist/', 'packages/*/types/', 'node_modules/', 'docs/', '**/*.py', '.o365-notify*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The layer order of docs/architecture.md; a test (test/lint/layers.test.ts) shows it biting.
    // The emulator package's files too: they may import nothing outside packages/emulator.
    files: ['src/**/*.ts', 'packages/emulator/src/**/*.ts'],
    plugins: { layers },
    rules: { 'layers/layers': 'error' },
  },
  {
    // Tests read JSON answers field by field; typing every shape would add nothing there.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
