import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeDefault, configFromEnv, DEFAULT_PORT, dockerStages, isSettingEnv, readText, readYaml, repoPath, ROOT, servedGetRoutes } from './deploy-files.js';

interface Service {
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  command?: string[];
  depends_on?: Record<string, unknown>;
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const COMPOSE = 'docker/compose.yaml';
const COMPOSE_DIR = repoPath('docker');
const compose = readYaml<Compose>(COMPOSE);
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`${COMPOSE} has no service ${name}`);
  return s;
};

/** Another engineer lands these; until then compose may point at them before they exist. */
const PENDING = new Set([
  'docker/prometheus/prometheus.yml',
  'docker/grafana/provisioning/datasources/prometheus.yaml',
  'docker/grafana/provisioning/dashboards/dashboards.yaml',
  'docker/grafana/dashboards/reranker.json',
]);

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}
const mounts = (s: Service): Mount[] =>
  (s.volumes ?? []).map((v) => {
    const [source = '', target = ''] = v.split(':');
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
/** A bind mount's host path, relative to the repo root. */
const hostPath = (m: Mount): string => relative(ROOT, resolve(COMPOSE_DIR, m.source));
const mountOf = (name: string, repoRelPath: string): Mount | undefined => mounts(service(name)).find((m) => m.bind && hostPath(m) === repoRelPath);
const durationMs = (d: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
};

describe('docker/compose.yaml', () => {
  const reranker = service('reranker');
  const env = Object.fromEntries(Object.entries(reranker.environment ?? {}).map(([k, v]) => [k, composeDefault(String(v))]));

  it('runs the reranker, Postgres with pgvector, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'postgres', 'prometheus', 'reranker']);
    expect(service('postgres').image).toBe('pgvector/pgvector:pg16');
    expect(service('postgres').healthcheck?.test.join(' ')).toContain('pg_isready');
  });

  it('builds the reranker from the repo root Dockerfile', () => {
    const context = resolve(COMPOSE_DIR, reranker.build?.context ?? '');
    expect(context).toBe(resolve(ROOT));
    expect(existsSync(resolve(context, reranker.build?.dockerfile ?? 'Dockerfile'))).toBe(true);
  });

  it('passes only build args the Dockerfile declares', () => {
    const declared = dockerStages(readText('Dockerfile'))
      .flat()
      .filter((s) => s.op === 'ARG')
      .map((s) => s.args.split('=')[0]);
    expect(Object.keys(reranker.build?.args ?? {}).filter((arg) => !declared.includes(arg))).toEqual([]);
  });

  it('passes only settings the service knows, with values it accepts', () => {
    for (const key of Object.keys(env)) expect(isSettingEnv(key), `${key} is in SETTINGS`).toBe(true);
    const config = configFromEnv(env);
    expect(config.port).toBe(DEFAULT_PORT);
    expect(config.hub.modelsDir).toBe('/models');
    expect(config.rerankers[0]?.source).toMatch(/^[\w.-]+\/[\w.-]+$/);
  });

  it('serves the model baked in with MODEL_ID rather than overriding it with the default', () => {
    const raw = String(reranker.environment?.['MODEL']);
    expect(composeDefault(raw, { MODEL_ID: 'acme/baked' })).toBe('acme/baked');
    expect(composeDefault(raw, { MODEL_ID: 'acme/baked', MODEL: 'acme/chosen' })).toBe('acme/chosen');
    expect(composeDefault(String(reranker.build?.args?.['MODEL_ID']), { MODEL_ID: 'acme/baked' })).toBe('acme/baked');
  });

  it('publishes the port the service listens on and keeps models in a volume at MODELS_DIR', () => {
    const published = (reranker.ports ?? []).map((p) => composeDefault(p).split(':'));
    expect(published).toContainEqual([String(DEFAULT_PORT), String(DEFAULT_PORT)]);
    const models = mounts(reranker).find((m) => m.target === '/models');
    expect(models).toBeDefined();
    if (models && !models.bind) expect(Object.keys(compose.volumes ?? {})).toContain(models.source);
  });

  it('health-checks /health on the listening port, and the app serves that route', async () => {
    const test = reranker.healthcheck?.test ?? [];
    expect(test[0]).toBe('CMD');
    expect(test.join(' ')).toContain(`http://127.0.0.1:${DEFAULT_PORT}/health`);
    expect((await servedGetRoutes(['/health'])).get('/health')).toBe(true);
  });

  it('gives in-flight requests longer than SHUTDOWN_TIMEOUT_MS before Docker kills the reranker', () => {
    const config = configFromEnv(env);
    expect(durationMs(reranker.stop_grace_period ?? '10s')).toBeGreaterThan(config.shutdownTimeoutMs);
  });

  it('mounts the Prometheus and Grafana files at the paths the images read', () => {
    expect(mountOf('prometheus', 'docker/prometheus/prometheus.yml')?.target).toBe('/etc/prometheus/prometheus.yml');
    expect(service('prometheus').command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(mountOf('grafana', 'docker/grafana/provisioning/datasources/prometheus.yaml')?.target).toBe('/etc/grafana/provisioning/datasources/prometheus.yaml');
    expect(mountOf('grafana', 'docker/grafana/provisioning/dashboards/dashboards.yaml')?.target).toBe('/etc/grafana/provisioning/dashboards/dashboards.yaml');
    expect(mountOf('grafana', 'docker/grafana/dashboards/reranker.json')?.target).toBe('/var/lib/grafana/dashboards/reranker.json');
  });

  it('bind-mounts only files inside the repo that exist (or are the monitoring files still being written)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mounts(s).filter((x) => x.bind)) {
        const path = hostPath(m);
        expect(path.startsWith('..'), `${name}: ${m.source} stays inside the repo`).toBe(false);
        expect(existsSync(repoPath(path)) || PENDING.has(path), `${name}: ${path} exists`).toBe(true);
      }
      for (const m of mounts(s).filter((x) => !x.bind)) expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${m.source}`).toContain(m.source);
    }
  });

  it('lets anonymous users view Grafana, never edit', () => {
    const gf = service('grafana').environment ?? {};
    expect(gf['GF_AUTH_ANONYMOUS_ENABLED']).toBe('true');
    expect(gf['GF_AUTH_ANONYMOUS_ORG_ROLE']).toBe('Viewer');
  });

  it('starts services after the ones they read from', () => {
    expect(Object.keys(service('prometheus').depends_on ?? {})).toContain('reranker');
    expect(Object.keys(service('grafana').depends_on ?? {})).toContain('prometheus');
  });
});

// The monitoring files are another engineer's; once they exist, they must agree with compose.
describe('docker/compose.yaml agrees with the monitoring files once they exist', () => {
  const has = (path: string): boolean => existsSync(repoPath(path));

  it.runIf(has('docker/prometheus/prometheus.yml'))('Prometheus scrapes the reranker service on its port, at a path the app serves', async () => {
    interface ScrapeConfig {
      metrics_path?: string;
      static_configs?: { targets?: string[] }[];
    }
    const prom = readYaml<{ scrape_configs?: ScrapeConfig[] }>('docker/prometheus/prometheus.yml');
    const scrape = (prom.scrape_configs ?? []).find((c) => (c.static_configs ?? []).some((s) => (s.targets ?? []).includes(`reranker:${DEFAULT_PORT}`)));
    expect(scrape, `a scrape config targets reranker:${DEFAULT_PORT}`).toBeDefined();
    const path = scrape?.metrics_path ?? '/metrics';
    expect((await servedGetRoutes([path])).get(path), `the app serves GET ${path}`).toBe(true);
  });

  it.runIf(has('docker/grafana/provisioning/datasources/prometheus.yaml'))('the Grafana datasource points at the compose Prometheus', () => {
    const ds = readYaml<{ datasources?: { type?: string; url?: string }[] }>('docker/grafana/provisioning/datasources/prometheus.yaml');
    const prom = (ds.datasources ?? []).find((d) => d.type === 'prometheus');
    expect(prom?.url).toBe('http://prometheus:9090');
  });

  it.runIf(has('docker/grafana/provisioning/dashboards/dashboards.yaml'))('the Grafana dashboard provider reads the folder compose mounts the dashboard into', () => {
    const provisioning = readYaml<{ providers?: { options?: { path?: string } }[] }>('docker/grafana/provisioning/dashboards/dashboards.yaml');
    const target = mountOf('grafana', 'docker/grafana/dashboards/reranker.json')?.target ?? '';
    const paths = (provisioning.providers ?? []).map((p) => p.options?.path?.replace(/\/$/, ''));
    expect(paths).toContain(dirname(target));
  });
});
