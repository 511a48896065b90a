import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../src/errors.js';
import { SERVER_TIMING_NAMES } from '../src/http/server-timing.js';
import { settingsTable } from './support/settings-table.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('has the settings table exactly as config.ts defines it', () => {
    expect(readme, `replace README's settings table with:\n${settingsTable()}\n`).toContain(settingsTable());
  });

  it('maps every Server-Timing name to its metric stage label (issue 24)', () => {
    const entries = Object.entries(SERVER_TIMING_NAMES);
    const renamed = entries.filter(([stage, name]) => stage !== name).map(([stage, name]) => `\`${name}\` = \`${stage}\``);
    const same = entries.filter(([stage, name]) => stage === name).map(([stage]) => `\`${stage}\``);
    expect(readme.replace(/\s+/g, ' ')).toContain(`shortened where long: ${renamed.join(', ')}; the others (${same.join(', ')}) are the same.`);
  });

  it('lists every error code', () => {
    for (const code of Object.keys(STATUS_BY_CODE)) expect(readme).toContain(`\`${code}\``);
  });
});
