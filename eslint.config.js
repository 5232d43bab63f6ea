import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layerBlocks } from './eslint/layers.mjs';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'src/ui/dist/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Which folder may import which (eslint/layers.json; the table in docs/architecture.md).
  ...layerBlocks(),
);
