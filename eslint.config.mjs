// ESLint for the TypeScript: the browser code, the protocol types, the companion and
// the tests. Formatting is prettier's (.prettierrc); `make lint` runs both.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '.venv/**',
      'lib/**',
      'jupyterlab_dask_clusters/labextension/**',
      'jupyterlab_dask_clusters/companion/**',
      'ui-tests/test-results/**',
      'ui-tests/playwright-report/**'
    ]
  },
  {
    files: ['src/**/*.{ts,tsx}', 'protocol/**/*.ts', 'lib-server/{src,test}/**/*.ts', 'ui-tests/tests/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      // JupyterLab's convention: `namespace Private` for module internals, and option
      // and command-id namespaces merged with the classes and functions they describe.
      '@typescript-eslint/no-namespace': 'off',
      // Unused names are compile errors already (noUnusedLocals/Parameters), where a
      // leading underscore marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }
      ]
    }
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error'
    }
  },
  {
    // Long functions are hard to review; tests are exempt (a test reads top to bottom).
    files: ['src/**/*.{ts,tsx}', 'lib-server/src/**/*.ts'],
    ignores: ['src/**/__tests__/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }]
    }
  }
);
