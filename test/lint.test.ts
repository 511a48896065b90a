import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * Issue 19, item 8: the linter in `npm test` (eslint.config.js) replaces regexes over the source.
 * This lints a file written to break its rules and checks each rule fires where it should, so a
 * config change that silently disables one fails here. (Issue 12's rule: no route handler casts what
 * its TypeBox schema already typed.)
 */
describe('the linter (eslint.config.js)', () => {
  it('refuses route casts, any, object literal assertions, unnecessary assertions and floating promises', async () => {
    const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname, ignore: false });
    const [result] = await eslint.lintFiles(['test/fixtures/lint/casts.ts']);
    const found = result?.messages.map((m) => `${m.line} ${m.ruleId}`);
    expect(found).toEqual([
      '9 no-restricted-syntax',
      '10 no-restricted-syntax',
      '12 @typescript-eslint/no-explicit-any',
      '13 @typescript-eslint/consistent-type-assertions',
      '14 @typescript-eslint/no-unnecessary-type-assertion',
      '16 @typescript-eslint/no-floating-promises',
    ]);
    expect(result?.messages[0]?.message).toBe('Do not cast request.body: give the route a TypeBox schema and let the type provider type it.');
  }, 60_000);

  it('finds nothing in src/http: no route casts what its schema typed (`npm run lint` checks the whole tree)', async () => {
    const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });
    const results = await eslint.lintFiles(['src/http']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.ruleId}`));
    expect(results.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  }, 120_000);
});
