import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { buildConfig, SETTINGS, type RawSettings, type SettingName } from '../../src/config.js';
import { testApp } from '../support/test-app.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function repoPath(...parts: string[]): string {
  return [ROOT.replace(/\/$/, ''), ...parts].join('/');
}

export function readText(relPath: string): string {
  return readFileSync(repoPath(relPath), 'utf8');
}

/** Every document of a YAML file; a syntax error or warning fails loudly with the file name. */
export function readYamlDocs(relPath: string): unknown[] {
  const docs = parseAllDocuments(readText(relPath));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${relPath}: ${problems.map((p) => p.message).join('; ')}`);
  }
  return list.map((d) => d.toJS() as unknown);
}

export function readYaml<T = Record<string, unknown>>(relPath: string): T {
  const docs = readYamlDocs(relPath);
  if (docs.length !== 1) throw new Error(`${relPath}: expected one YAML document, found ${docs.length}`);
  return docs[0] as T;
}

const SETTING_BY_ENV = new Map<string, SettingName>(
  (Object.entries(SETTINGS) as [SettingName, { env: string }][]).map(([name, s]) => [s.env, name]),
);

export function isSettingEnv(env: string): boolean {
  return SETTING_BY_ENV.has(env);
}

/** Builds the service's config from env-style pairs, so a value the service would reject fails here. */
export function configFromEnv(env: Record<string, string>): ReturnType<typeof buildConfig> {
  const raw: RawSettings = {};
  for (const [key, value] of Object.entries(env)) {
    const name = SETTING_BY_ENV.get(key);
    if (name === undefined) throw new Error(`${key} is not one of the service's settings (src/config.ts)`);
    raw[name] = value;
  }
  return buildConfig(raw);
}

export const DEFAULT_PORT = Number(SETTINGS.port.fallback);

/** GET routes the app really serves, from the app itself rather than a list kept by hand. */
export async function servedGetRoutes(urls: readonly string[]): Promise<Map<string, boolean>> {
  const t = await testApp({}, {}, false);
  try {
    return new Map(urls.map((url) => [url, t.app.hasRoute({ method: 'GET', url })]));
  } finally {
    await t.close();
  }
}

export interface DockerStep {
  op: string;
  args: string;
}

/** Dockerfile instructions grouped by stage; continuation lines joined, comments dropped. */
export function dockerStages(text: string): DockerStep[][] {
  const stages: DockerStep[][] = [];
  for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match?.[1]) continue;
    const op = match[1].toUpperCase();
    if (op === 'FROM') stages.push([]);
    stages.at(-1)?.push({ op, args: (match[2] ?? '').trim() });
  }
  return stages;
}

/** Compose interpolation with no variables set: `${NAME:-default}` (nested too) becomes its default. */
export function composeDefault(value: string, vars: Record<string, string> = {}): string {
  const innermost = /\$\{([A-Z0-9_]+)(?::?-([^${}]*))?\}/;
  let out = value;
  for (let m = innermost.exec(out); m; m = innermost.exec(out)) {
    out = out.replace(m[0], vars[m[1] ?? ''] || (m[2] ?? ''));
  }
  return out;
}
