import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../src/errors.js';
import { settingsTable } from './support/settings-table.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('has the settings table exactly as config.ts defines it', () => {
    expect(readme, `replace README's settings table with:\n${settingsTable()}\n`).toContain(settingsTable());
  });

  it('lists every error code', () => {
    for (const code of Object.keys(STATUS_BY_CODE)) expect(readme).toContain(`\`${code}\``);
  });
});
