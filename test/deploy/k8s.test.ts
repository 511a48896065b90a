import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULT_PORT, dockerStages, isSettingEnv, readText, readYaml, readYamlDocs, repoPath, servedGetRoutes } from './deploy-files.js';

interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
  failureThreshold?: number;
  periodSeconds?: number;
}
interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  initContainers?: Container[];
  containers: Container[];
  volumes?: { name: string }[];
}
interface Deployment {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

const DIR = 'docker/k8s';
const deployment = readYaml<Deployment>(`${DIR}/deployment.yaml`);
const pod = deployment.spec.template.spec;
const allContainers = [...(pod.initContainers ?? []), ...pod.containers];
const reranker = allContainers.find((c) => c.name === 'reranker');
if (!reranker) throw new Error('deployment.yaml has no container named reranker');
const envOf = (c: Container): Record<string, string> =>
  Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
const portNumber = (c: Container, port: string | number): number | undefined =>
  typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;

/** Kubernetes quantities as plain numbers (cores, bytes), enough to compare requests with limits. */
function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

describe('docker/k8s', () => {
  it('every YAML file parses, and the kustomization lists exactly the manifests', () => {
    const files = readdirSync(repoPath(DIR)).filter((f) => /\.ya?ml$/.test(f));
    for (const f of files) expect(readYamlDocs(`${DIR}/${f}`).length, f).toBeGreaterThan(0);
    const kustomization = readYaml<{ resources: string[] }>(`${DIR}/kustomization.yaml`);
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('runs an application container with the reranker as a sidecar in the same pod', () => {
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(pod.containers.some((c) => c.name !== 'reranker')).toBe(true);
    // Native sidecar: an init container that keeps running for the life of the pod.
    expect(pod.initContainers?.find((c) => c.name === 'reranker')?.restartPolicy).toBe('Always');
    const kustomization = readYaml<{ images: { name: string }[] }>(`${DIR}/kustomization.yaml`);
    expect(kustomization.images.map((i) => i.name)).toContain(reranker.image.split(':')[0]);
  });

  it('gives the reranker only settings the service knows, with values it accepts', () => {
    for (const e of reranker.env ?? []) expect(isSettingEnv(e.name), `${e.name} is in SETTINGS`).toBe(true);
    const config = configFromEnv(envOf(reranker));
    expect(reranker.ports?.map((p) => p.containerPort)).toEqual([config.port]);
    expect(config.port).toBe(DEFAULT_PORT);
    // CPU limit, not the node's core count, should size inference threads.
    expect(config.engine.workers).toBeDefined();
    expect(config.threads).toBeDefined();
    const mount = reranker.volumeMounts?.find((m) => m.mountPath === config.hub.modelsDir);
    expect(mount, `a volume is mounted at MODELS_DIR (${config.hub.modelsDir})`).toBeDefined();
  });

  it('probes readiness and start-up on /health, a route the app serves, and liveness without it', async () => {
    const { startupProbe, readinessProbe, livenessProbe } = reranker;
    expect(readinessProbe?.httpGet?.path).toBe('/health');
    expect(startupProbe?.httpGet?.path).toBe('/health');
    const routes = await servedGetRoutes(['/health']);
    expect(routes.get('/health')).toBe(true);
    // /health answers 503 while draining; a liveness probe on it would restart a pod mid-shutdown.
    expect(livenessProbe?.tcpSocket).toBeDefined();
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) {
      const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
      expect(port === undefined ? undefined : portNumber(reranker, port)).toBe(DEFAULT_PORT);
    }
    // Start-up may include a model pull; give it minutes, not the default 30 seconds.
    expect((startupProbe?.failureThreshold ?? 3) * (startupProbe?.periodSeconds ?? 10)).toBeGreaterThanOrEqual(120);
  });

  it('sets requests and limits on every container, requests within limits', () => {
    for (const c of allContainers) {
      for (const r of ['cpu', 'memory']) {
        const req = c.resources?.requests?.[r];
        const lim = c.resources?.limits?.[r];
        expect(req, `${c.name} requests ${r}`).toBeDefined();
        expect(lim, `${c.name} limits ${r}`).toBeDefined();
        expect(quantity(req ?? '0')).toBeLessThanOrEqual(quantity(lim ?? '0'));
      }
    }
  });

  it('mounts only declared volumes', () => {
    const declared = (pod.volumes ?? []).map((v) => v.name);
    for (const c of allContainers) for (const m of c.volumeMounts ?? []) expect(declared, `${c.name}: ${m.name}`).toContain(m.name);
  });

  it('lets in-flight requests finish within the grace period', () => {
    const config = configFromEnv(envOf(reranker));
    expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(config.shutdownTimeoutMs);
  });

  it("runs as non-root with the Dockerfile's user id", () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    const runtime = dockerStages(readText('Dockerfile')).at(-1) ?? [];
    const user = runtime.find((s) => s.op === 'USER')?.args ?? '';
    expect(pod.securityContext?.runAsUser).toBe(Number(user.split(':')[0]));
  });

  it('exposes the pod through a Service whose ports are named container ports', () => {
    const svc = readYaml<{ kind: string; spec: { selector: Record<string, string>; ports: { targetPort: string | number }[] } }>(`${DIR}/service.yaml`);
    expect(svc.kind).toBe('Service');
    expect(svc.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    const named = new Set(allContainers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
    for (const p of svc.spec.ports) expect(named, String(p.targetPort)).toContain(p.targetPort);
  });

  it('autoscales the Deployment on CPU with autoscaling/v2', () => {
    const hpa = readYaml<{
      apiVersion: string;
      kind: string;
      spec: {
        scaleTargetRef: { apiVersion: string; kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
        metrics: { type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }[];
      };
    }>(`${DIR}/hpa.yaml`);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.kind).toBe('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    const cpu = hpa.spec.metrics.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
    expect(cpu?.resource?.target.type).toBe('Utilization');
    expect(cpu?.resource?.target.averageUtilization).toBeGreaterThan(0);
  });
});
