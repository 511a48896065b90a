import { SETTINGS } from '../../src/config.js';

/** README's settings table as config.ts defines it. */
export function settingsTable(): string {
  const rows = Object.values(SETTINGS).map((s: { flag: string; env: string; help: string; fallback?: string }) => {
    const fallback = s.fallback === undefined ? '' : `\`${s.fallback}\``;
    return `| \`${s.flag.replace('|', '\\|')}\` | \`${s.env}\` | ${fallback} | ${s.help} |`;
  });
  return ['| flag | env | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
