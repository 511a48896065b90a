import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.js';
import { STATUS_BY_CODE } from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('lists every setting with its flag and env var', () => {
    for (const s of Object.values(SETTINGS)) {
      expect(readme).toContain(`\`${s.env}\``);
      expect(readme).toContain(s.flag.split(' ')[0] as string);
    }
  });

  it('lists every error code', () => {
    for (const code of Object.keys(STATUS_BY_CODE)) expect(readme).toContain(`\`${code}\``);
  });
});
