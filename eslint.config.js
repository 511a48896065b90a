// @ts-check
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * The linter in `npm test` (issue 19, item 8). Type-aware rules where the compiler cannot say it:
 * no `any`, no casts that the types already make unnecessary, no object literal forced into a type,
 * no promise dropped on the floor, and no route handler that casts what its schema validated (the
 * TypeBox type provider types `request.body`, `params` and `query`; a cast hides a schema that
 * drifted from the code).
 */
const routeCast = (what) => ({
  selector: `TSAsExpression > MemberExpression.expression[object.name=/^(req|request)$/][property.name='${what}'], TSAsExpression > LogicalExpression.expression > MemberExpression.left[object.name=/^(req|request)$/][property.name='${what}']`,
  message: `Do not cast request.${what}: give the route a TypeBox schema and let the type provider type it.`,
});

export default defineConfig(
  // test/fixtures/lint/ holds code written to break these rules; test/lint.test.ts lints it on purpose.
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'test/fixtures/lint/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'vitest.config.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-assertions': ['error', { assertionStyle: 'as', objectLiteralTypeAssertions: 'never' }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', routeCast('body'), routeCast('params'), routeCast('query')],
    },
  },
);
