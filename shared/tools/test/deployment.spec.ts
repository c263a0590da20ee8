import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load, loadAll } from 'js-yaml';

/**
 * The deployment files (Dockerfile, docker-compose.yml, openshift/, prometheus/, grafana/)
 * cannot be run without a container engine or a cluster, so what is checked here is that they
 * agree with each other and with the architecture's fixed names and ports.
 */

interface DeployedProcess {
  name: string;
  kind: 'subgraph' | 'gateway';
  port: number;
  /** Where its `/health/*` and `/metrics` listen, apart from the public port. */
  managementPort: number;
  /** Secret variables beyond those every process of its kind needs. */
  secrets?: string[];
  /** Non-secret variables, set in each deployment, beyond those every process of its kind needs. */
  config?: string[];
  /** TCP ports it connects to anywhere, beyond those every process of its kind needs. */
  egressPorts?: number[];
  /** Scaled by a HorizontalPodAutoscaler rather than a fixed replica count. */
  autoscaled?: boolean;
}

// Every deployed process: the one list to extend when a process is added.
const PROCESSES: DeployedProcess[] = [
  {
    name: 'user',
    kind: 'subgraph',
    port: 3001,
    managementPort: 9001,
    secrets: ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'JWT_PRIVATE_KEY'],
  },
  { name: 'ticket', kind: 'subgraph', port: 3002, managementPort: 9002, autoscaled: true },
  { name: 'audit', kind: 'subgraph', port: 3003, managementPort: 9003 },
  {
    name: 'notification',
    kind: 'subgraph',
    port: 3004,
    managementPort: 9004,
    // The relay's URL carries its credentials.
    secrets: ['SMTP_URL'],
    config: ['NOTIFICATION_EMAIL_FROM'],
    // SMTP submission with STARTTLS, implicit TLS (smtps://) and plain SMTP.
    egressPorts: [587, 465, 25],
  },
  { name: 'appointment', kind: 'subgraph', port: 3005, managementPort: 9005, autoscaled: true },
  {
    name: 'gateway',
    kind: 'gateway',
    port: 8080,
    managementPort: 9080,
    autoscaled: true,
    // The rate limits' Redis: its URL may carry a password.
    secrets: ['REDIS_URL'],
    config: ['TRUST_PROXY'],
    egressPorts: [6379],
  },
];

const SUBGRAPHS = PROCESSES.filter((p) => p.kind === 'subgraph');
const GATEWAY = PROCESSES.find((p) => p.kind === 'gateway')!;
/** The subgraph serving the JWKS the gateway verifies access tokens with. */
const JWKS_PROVIDER = SUBGRAPHS.find((p) => p.name === 'user')!;
/** The subgraph sending email through the SMTP relay of SMTP_URL. */
const MAILER = SUBGRAPHS.find((p) => p.secrets?.includes('SMTP_URL'))!;

const portVariable = (p: DeployedProcess): string => `${p.name.toUpperCase()}_PORT`;
const managementPortVariable = (p: DeployedProcess): string =>
  `${p.name.toUpperCase()}_MANAGEMENT_PORT`;
const subgraphUrlVariable = (p: DeployedProcess): string => `${p.name.toUpperCase()}_SUBGRAPH_URL`;
const subgraphUrl = (p: DeployedProcess): string => `http://${p.name}:${p.port}/graphql`;
const jwksUrl = `http://${JWKS_PROVIDER.name}:${JWKS_PROVIDER.port}/.well-known/jwks.json`;
const migrateScript = (p: DeployedProcess): string => `services/${p.name}/dist/migrate.js`;

function secretsOf(p: DeployedProcess): string[] {
  const base =
    p.kind === 'subgraph'
      ? ['DATABASE_URL', 'RABBITMQ_URL', 'SERVICE_TOKEN_SECRET']
      : ['SERVICE_TOKEN_SECRET'];
  return [...base, ...(p.secrets ?? [])];
}

function configOf(p: DeployedProcess): string[] {
  const base = [
    'NODE_ENV',
    'LOG_LEVEL',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'SHUTDOWN_TIMEOUT_MS',
    portVariable(p),
    managementPortVariable(p),
  ];
  const forKind =
    p.kind === 'gateway' ? [...base, 'JWKS_URL', ...SUBGRAPHS.map(subgraphUrlVariable)] : base;
  return [...forKind, ...(p.config ?? [])];
}

/** PostgreSQL, and RabbitMQ over TLS (amqps) or plain AMQP: wherever they run. */
const SUBGRAPH_DEPENDENCY_PORTS = [5432, 5671, 5672];

/** TCP ports a process connects to outside the namespace's pods (DNS aside). */
function egressPortsOf(p: DeployedProcess, tracingPort: number): number[] {
  const forKind = p.kind === 'subgraph' ? SUBGRAPH_DEPENDENCY_PORTS : [];
  return [tracingPort, ...forKind, ...(p.egressPorts ?? [])];
}

/** The processes it calls inside the namespace: the gateway calls every subgraph, nothing else calls. */
const calleesOf = (p: DeployedProcess): DeployedProcess[] =>
  p.kind === 'gateway' ? SUBGRAPHS : [];

const SECRET_VARIABLES = new Set(PROCESSES.flatMap(secretsOf));

/**
 * Metric names the processes expose; alert rules and dashboards may use nothing else.
 * `subgraph_request_duration_seconds` is the gateway's (labels subgraph, outcome);
 * `notifications_total` the notification service's (labels channel, outcome).
 */
const HISTOGRAMS = [
  'http_request_duration_seconds',
  'messaging_handler_duration_seconds',
  'messaging_consumer_batch_size',
  'subgraph_request_duration_seconds',
];
const KNOWN_METRICS = new Set([
  'up',
  'http_requests_total',
  'outbox_pending',
  'outbox_oldest_pending_age_seconds',
  'outbox_failed',
  'messaging_published_total',
  'messaging_consumed_total',
  'db_queries_total',
  'notifications_total',
  'circuit_breaker_state',
  'circuit_breaker_transitions_total',
  'circuit_breaker_rejected_calls_total',
  'tickets_resolved_total',
  'login_failures_total',
  'account_lockouts_total',
  // RabbitMQ's own, per queue, from its /metrics/detailed (labels vhost, queue).
  'rabbitmq_detailed_queue_messages',
  'rabbitmq_detailed_queue_messages_ready',
  'rabbitmq_detailed_queue_messages_unacked',
  'rabbitmq_detailed_queue_consumers',
  ...HISTOGRAMS.flatMap((h) => [h, `${h}_bucket`, `${h}_sum`, `${h}_count`]),
]);
/** prom-client's default metrics. */
const DEFAULT_METRIC_PREFIXES = ['process_', 'nodejs_'];

const root = resolve(__dirname, '..', '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

// ---------------------------------------------------------------- shapes read from the files

type Labels = Record<string, string>;
interface LabelSelector {
  matchLabels?: Labels;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[] };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
  initContainers?: Container[];
  containers: Container[];
}
interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: { metadata: { labels: Labels }; spec: PodSpec };
  };
}
interface Service extends Manifest {
  spec: {
    selector: Labels;
    ports: { name?: string; port: number; targetPort?: string | number }[];
  };
}
interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string };
}
interface NetworkPolicyPort {
  port?: string | number;
  protocol?: string;
}
interface NetworkPolicy extends Manifest {
  spec: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}
interface Autoscaler extends Manifest {
  spec: {
    scaleTargetRef: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
  };
}
interface DisruptionBudget extends Manifest {
  spec: {
    selector: LabelSelector;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
  };
}
interface ServiceMonitor extends Manifest {
  spec: { selector: LabelSelector; endpoints: { port?: string; path?: string }[] };
}
interface Route extends Manifest {
  spec: {
    to: { kind: string; name: string };
    port?: { targetPort: string | number };
    tls?: { termination: string };
  };
}
interface RuleGroup {
  name: string;
  rules: { alert?: string; expr: string; for?: string; labels?: Labels; annotations?: Labels }[];
}
interface RuleTestFile {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}
interface Kustomization {
  namespace?: string;
  resources: string[];
  configMapGenerator?: { name: string; envs?: string[]; files?: string[] }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test: string | string[] };
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
  ports?: string[];
  stop_grace_period?: string;
}
interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: { refId: string; expr?: string; datasource?: { type?: string; uid?: string } }[];
  panels?: GrafanaPanel[];
}
interface GrafanaDashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  templating?: { list: { name: string; datasource?: { uid?: string } }[] };
}

// ---------------------------------------------------------------- helpers

const matches = (selector: LabelSelector, labels: Labels = {}): boolean =>
  Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
}

const INTERPOLATION = /^\$\{[A-Z][A-Z0-9_]*(?::?-[^}]*|:?\?[^}]*)?\}$/;

/**
 * A credential is never written out: the value (or a URL's password) is an interpolation. A
 * URL of a host, port and path alone (such as the local SMTP catcher's) holds none.
 */
function hidesCredential(value: string): boolean {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:(.*)@/i.exec(value);
  if (userinfo) return INTERPOLATION.test(userinfo[1]);
  return (
    /^[a-z][a-z0-9+.-]*:\/\/[\w.-]+(?::\d+)?(?:\/[\w./-]*)?$/i.test(value) ||
    INTERPOLATION.test(value)
  );
}

const looksSecret = (name: string): boolean =>
  SECRET_VARIABLES.has(name) || /PASSWORD|SECRET|TOKEN|_PASS$/.test(name);

/** Seconds in a compose duration such as `30s` or `1m30s`. */
function seconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  return [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * units[unit],
    0,
  );
}

/** The metric names a PromQL expression reads (functions, keywords and labels left out). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
  return [...stripped.matchAll(/(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(stripped.slice(m.index! + m[0].length)))
    .map((m) => m[0])
    .filter((name) => !keywords.has(name.toLowerCase()));
}

const isKnownMetric = (name: string): boolean =>
  KNOWN_METRICS.has(name) || DEFAULT_METRIC_PREFIXES.some((prefix) => name.startsWith(prefix));

/** The env file kustomize turns into the ConfigMap. */
function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Dockerfile instructions, continuation lines joined and heredoc bodies skipped. */
function dockerfileInstructions(text: string): { keyword: string; args: string }[] {
  const instructions: { keyword: string; args: string }[] = [];
  let heredocEnd: string | undefined;
  let pending = '';
  for (const line of text.split('\n')) {
    if (heredocEnd !== undefined) {
      if (line.trim() === heredocEnd) heredocEnd = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || (!pending && trimmed === '')) continue;
    pending += pending ? ` ${trimmed}` : trimmed;
    if (pending.endsWith('\\')) {
      pending = pending.slice(0, -1).trimEnd();
      continue;
    }
    const [keyword, ...rest] = pending.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') });
    heredocEnd = /<<-?'?"?(\w+)/.exec(pending)?.[1];
    pending = '';
  }
  return instructions;
}

// ---------------------------------------------------------------- the files

const compose = load(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
const composeService = (name: string): ComposeService => {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service "${name}"`);
  return service;
};

const kustomization = load(read('openshift/kustomization.yaml')) as Kustomization;
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  (loadAll(read(join('openshift', file))) as Manifest[]).filter(Boolean),
);
const ofKind = <T extends Manifest>(kind: string): T[] =>
  manifests.filter((m): m is T => m.kind === kind);
const configMapGenerator = kustomization.configMapGenerator ?? [];
const openshiftConfig: Record<string, string> = Object.assign(
  {},
  ...configMapGenerator
    .flatMap((g) => g.envs ?? [])
    .map((file) => parseEnvFile(read(join('openshift', file)))),
);
const configMapNames = new Set(configMapGenerator.map((g) => g.name));
const secretTemplate = load(read('openshift/secret.example.yaml')) as Manifest & {
  stringData?: Record<string, string>;
  data?: Record<string, string>;
};

const alerts = load(read('prometheus/alerts.yml')) as { groups: RuleGroup[] };
const alertRules = alerts.groups.flatMap((g) => g.rules);

const datasources = load(read('grafana/provisioning/datasources/servicedesk.yml')) as {
  datasources: { name: string; uid: string; type: string; url: string }[];
};
const prometheusDatasource = datasources.datasources.find((d) => d.type === 'prometheus')!;
const lokiDatasource = datasources.datasources.find((d) => d.type === 'loki')!;
const LOGS_DASHBOARD = 'servicedesk-logs.json';
const dashboardFiles = readdirSync(join(root, 'grafana', 'dashboards')).filter((f) =>
  f.endsWith('.json'),
);

function deploymentOf(p: DeployedProcess): Deployment {
  const deployment = ofKind<Deployment>('Deployment').find((d) => d.metadata.name === p.name);
  if (!deployment) throw new Error(`openshift/ has no Deployment "${p.name}"`);
  return deployment;
}
const podLabelsOf = (p: DeployedProcess): Labels => deploymentOf(p).spec.template.metadata.labels;
function appContainerOf(p: DeployedProcess): Container {
  const container = deploymentOf(p).spec.template.spec.containers.find((c) => c.name === p.name);
  if (!container) throw new Error(`Deployment "${p.name}" has no container named "${p.name}"`);
  return container;
}
const allContainersOf = (p: DeployedProcess): Container[] => [
  ...(deploymentOf(p).spec.template.spec.initContainers ?? []),
  ...deploymentOf(p).spec.template.spec.containers,
];
function containerPort(container: Container, port: string | number): number | undefined {
  return typeof port === 'number'
    ? port
    : container.ports?.find((p) => p.name === port)?.containerPort;
}
/** Keys of the Secret a container cannot start without. */
const requiredSecretKeysOf = (container: Container): string[] =>
  (container.env ?? []).flatMap((e) =>
    e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional
      ? [e.valueFrom.secretKeyRef.key]
      : [],
  );

// ---------------------------------------------------------------- docker-compose.yml

describe('docker-compose.yml', () => {
  it('runs the infrastructure: PostgreSQL 15, RabbitMQ 3 with management, Jaeger with OTLP, Prometheus, Grafana', () => {
    expect(composeService('postgres').image).toMatch(/^postgres:15([.-]|$)/);
    expect(composeService('rabbitmq').image).toMatch(/^rabbitmq:3[.\d]*-management/);
    expect(composeService('jaeger').image).toMatch(/^jaegertracing\/all-in-one:\d/);
    expect(environmentOf(composeService('jaeger')).COLLECTOR_OTLP_ENABLED).toBe('true');
    expect(composeService('prometheus').image).toMatch(/^prom\/prometheus:v\d/);
    expect(composeService('grafana').image).toMatch(/^grafana\/grafana:\d/);
  });

  it('mounts the Prometheus configuration and the Grafana provisioning and dashboards', () => {
    expect(composeService('prometheus').volumes).toContain('./prometheus:/etc/prometheus:ro');
    expect(composeService('grafana').volumes).toContain(
      './grafana/provisioning:/etc/grafana/provisioning:ro',
    );
    const provider = load(read('grafana/provisioning/dashboards/servicedesk.yml')) as {
      providers: { options: { path: string } }[];
    };
    expect(composeService('grafana').volumes).toContain(
      `./grafana/dashboards:${provider.providers[0].options.path}:ro`,
    );
  });

  it('migrates every subgraph once, after PostgreSQL is healthy', () => {
    const migrate = composeService('migrate');
    const command = [migrate.command].flat().join(' ');
    for (const subgraph of SUBGRAPHS) expect(command).toContain(`node ${migrateScript(subgraph)}`);
    expect(migrate.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
    const env = environmentOf(migrate);
    for (const variable of SUBGRAPHS.flatMap(secretsOf)) expect(env).toHaveProperty(variable);
  });

  describe.each(PROCESSES)('$name', (app) => {
    const service = (): ComposeService => composeService(app.name);

    it('is built from the root Dockerfile for this process', () => {
      expect(service().build).toMatchObject({ context: '.', args: { SERVICE: app.name } });
      expect(service().build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    });

    it('has a healthcheck on its own /health/ready, on its management port', () => {
      expect([service().healthcheck?.test].flat().join(' ')).toContain(
        `http://127.0.0.1:${app.managementPort}/health/ready`,
      );
    });

    it('gets every variable it needs, on its fixed port', () => {
      const env = environmentOf(service());
      for (const variable of [...configOf(app), ...secretsOf(app)])
        expect(env).toHaveProperty(variable);
      expect(env[portVariable(app)]).toBe(String(app.port));
      expect(env[managementPortVariable(app)]).toBe(String(app.managementPort));
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    });

    it('is given longer to stop than its own shutdown timeout', () => {
      const env = environmentOf(service());
      expect(seconds(service().stop_grace_period ?? '10s')).toBeGreaterThan(
        Number(env.SHUTDOWN_TIMEOUT_MS) / 1000,
      );
    });

    it('starts once what it depends on is ready', () => {
      const expected =
        app.kind === 'subgraph'
          ? {
              postgres: { condition: 'service_healthy' },
              rabbitmq: { condition: 'service_healthy' },
              migrate: { condition: 'service_completed_successfully' },
            }
          : Object.fromEntries(SUBGRAPHS.map((s) => [s.name, { condition: 'service_healthy' }]));
      expect(service().depends_on).toMatchObject(expected);
    });
  });

  it('runs an unpersisted Redis 7 for the gateway’s rate limits, which it is pointed at', () => {
    const redis = composeService('redis');
    expect(redis.image).toMatch(/^redis:7[.\d]*-alpine$/);
    expect([redis.command].flat().join(' ')).toContain('--appendonly no');
    expect(environmentOf(composeService(GATEWAY.name)).REDIS_URL).toBe('redis://redis:6379');
  });

  it('points the gateway at every subgraph and at the JWKS', () => {
    const env = environmentOf(composeService(GATEWAY.name));
    for (const subgraph of SUBGRAPHS)
      expect(env[subgraphUrlVariable(subgraph)]).toBe(subgraphUrl(subgraph));
    expect(env.JWKS_URL).toBe(jwksUrl);
  });

  it('catches every email in a pinned Mailpit, its SMTP and web UI published on loopback only', () => {
    const mailpit = composeService('mailpit');
    expect(mailpit.image).toMatch(/^axllent\/mailpit:v\d+\.\d+\.\d+$/);
    expect(mailpit.ports).toEqual(['127.0.0.1:1025:1025', '127.0.0.1:8025:8025']);
    expect(mailpit.healthcheck?.test).toBeDefined();
    expect(environmentOf(composeService(MAILER.name)).SMTP_URL).toBe('smtp://mailpit:1025');
    expect(composeService(MAILER.name).depends_on).toMatchObject({
      mailpit: { condition: 'service_healthy' },
    });
  });

  it('writes no credential literally: each comes from the environment, else a local-only value or none', () => {
    const offenders = Object.entries(compose.services).flatMap(([name, service]) =>
      Object.entries(environmentOf(service))
        .filter(([key, value]) => looksSecret(key) && !hidesCredential(value))
        .map(([key]) => `${name}.${key}`),
    );
    expect(offenders).toEqual([]);

    const fallbacks = [...read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*):-([^}]*)\}/g)];
    const unmarked = fallbacks
      .filter(([, variable]) => looksSecret(variable))
      // An empty fallback leaves the variable unset: the process's own development behaviour.
      .filter(([, , fallback]) => fallback !== '' && !/local|change-me/.test(fallback))
      .map(([whole]) => whole);
    expect(unmarked).toEqual([]);
  });

  it('interpolates each variable the same way everywhere', () => {
    const forms = new Map<string, Set<string>>();
    for (const [whole, variable] of read('docker-compose.yml').matchAll(
      /\$\{([A-Z][A-Z0-9_]*)[^}]*\}/g,
    )) {
      forms.set(variable, (forms.get(variable) ?? new Set()).add(whole));
    }
    const inconsistent = [...forms]
      .filter(([, used]) => used.size > 1)
      .map(([variable, used]) => [variable, [...used]]);
    expect(inconsistent).toEqual([]);
  });
});

// ---------------------------------------------------------------- Dockerfile

describe('docker-compose.yml: logs and alert routing', () => {
  const portOf = (url: string): number => Number(new URL(url).port);

  it('runs Loki with its configuration, on the port Grafana and Alloy use', () => {
    const loki = composeService('loki');
    expect(loki.image).toMatch(/^grafana\/loki:3\./);
    expect(loki.volumes).toContain('./loki:/etc/loki:ro');
    const config = load(read('loki/loki.yml')) as { server: { http_listen_port: number } };
    expect(portOf(lokiDatasource.url)).toBe(config.server.http_listen_port);
    expect(new URL(lokiDatasource.url).hostname).toBe('loki');
  });

  it("ships every container's logs to Loki with Alloy, reading them from the Docker daemon", () => {
    const alloy = composeService('alloy');
    expect(alloy.image).toMatch(/^grafana\/alloy:v\d/);
    expect(alloy.volumes).toEqual(
      expect.arrayContaining([
        './alloy:/etc/alloy:ro',
        '/var/run/docker.sock:/var/run/docker.sock:ro',
      ]),
    );
    const config = read('alloy/config.alloy');
    expect(config).toContain(`url = "${lokiDatasource.url}/loki/api/v1/push"`);
    expect(config).toContain('com.docker.compose.project=servicedesk');
    // The label every dashboard query selects on.
    expect(config).toContain('target_label  = "service"');
  });

  it('runs Alertmanager on the target Prometheus sends to, routing every alert to a local receiver', () => {
    const alertmanager = composeService('alertmanager');
    expect(alertmanager.image).toMatch(/^prom\/alertmanager:v\d/);
    expect(alertmanager.volumes).toContain('./alertmanager:/etc/alertmanager:ro');
    const prometheus = load(read('prometheus/prometheus.yml')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    expect(prometheus.alerting.alertmanagers[0].static_configs[0].targets).toEqual([
      'alertmanager:9093',
    ]);
    const config = load(read('alertmanager/alertmanager.yml')) as {
      route: { receiver: string; routes?: { receiver: string }[] };
      receivers: { name: string; email_configs?: { smarthost: string }[] }[];
    };
    const names = config.receivers.map((r) => r.name);
    for (const receiver of [
      config.route.receiver,
      ...(config.route.routes ?? []).map((r) => r.receiver),
    ])
      expect(names).toContain(receiver);
    // Locally, alerts are emails read in Mailpit.
    const smarthost = config.receivers[0].email_configs?.[0].smarthost;
    expect(smarthost).toBe('mailpit:1025');
    expect(composeService('mailpit').ports).toContain('127.0.0.1:1025:1025');
  });

  it('provisions Loki for Grafana and starts Grafana after it', () => {
    expect(lokiDatasource.uid).toMatch(/\S/);
    expect(Object.keys(composeService('grafana').depends_on ?? {})).toContain('loki');
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions(read('Dockerfile'));
  const firstFrom = instructions.findIndex((i) => i.keyword === 'FROM');
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  const finalStage = instructions.slice(lastFrom);
  const globalArgs = Object.fromEntries(
    instructions
      .slice(0, firstFrom)
      .filter((i) => i.keyword === 'ARG' && i.args.includes('='))
      .map((i) => i.args.split('=') as [string, string]),
  );
  const resolveArgs = (text: string): string =>
    text.replace(/\$\{?(\w+)\}?/g, (_, name: string) => globalArgs[name] ?? _);
  const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

  it('builds every stage on Node 22', () => {
    const images = instructions
      .filter((i) => i.keyword === 'FROM')
      .map((i) => resolveArgs(i.args.split(/\s+/)[0]));
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) expect(image).toMatch(/^node:22([.-]|$)/);
  });

  it('installs from the lockfile, builds, and drops development dependencies', () => {
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm prune --omit=dev\b/.test(r))).toBe(true);
  });

  it('chooses the process with the SERVICE build argument', () => {
    expect(finalStage.some((i) => i.keyword === 'ARG' && i.args.split('=')[0] === 'SERVICE')).toBe(
      true,
    );
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK', () => {
    const user = finalStage
      .filter((i) => i.keyword === 'USER')
      .pop()
      ?.args.split(':')[0];
    expect(user).toMatch(/^\d+$/);
    expect(user).not.toBe('0');
    expect(finalStage.some((i) => i.keyword === 'HEALTHCHECK' && i.args.includes('CMD'))).toBe(
      true,
    );
  });

  it('probes each process on its own port when the healthcheck is given no URL', () => {
    const defaultPorts = /const defaultPorts = (\{[^}]*\})/.exec(read('Dockerfile'))?.[1];
    // A JavaScript object literal of names and numbers is also a YAML flow mapping.
    expect(load(defaultPorts ?? '')).toEqual(
      Object.fromEntries(PROCESSES.map((p) => [p.name, p.port])),
    );
  });

  it('keeps local installs, build output, git and env files out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', '**/node_modules', '**/dist', '.env']));
  });
});

// ---------------------------------------------------------------- openshift/

describe('openshift/', () => {
  it('lists in kustomization.yaml every file of the folder, and only those, but the Secret template', () => {
    const listed = [
      ...kustomization.resources,
      ...configMapGenerator.flatMap((g) => [...(g.envs ?? []), ...(g.files ?? [])]),
    ];
    const present = readdirSync(join(root, 'openshift')).filter(
      (f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml',
    );
    expect([...listed].sort()).toEqual([...present].sort());
    expect(listed).not.toContain('secret.example.yaml');
    expect(existsSync(join(root, 'openshift', 'secret.example.yaml'))).toBe(true);
  });

  it('labels every object as part of servicedesk and names it', () => {
    for (const manifest of manifests) {
      expect(manifest.metadata.name).toBeTruthy();
      expect(manifest.metadata.labels?.['app.kubernetes.io/part-of']).toBe('servicedesk');
    }
  });

  it('keeps the Secret a template: placeholders only', () => {
    expect(secretTemplate.kind).toBe('Secret');
    expect(secretTemplate.data).toBeUndefined();
    for (const value of Object.values(secretTemplate.stringData ?? {}))
      expect(value).toMatch(/^<.+>$/);
  });

  it('keeps secrets out of the ConfigMap', () => {
    expect(Object.keys(openshiftConfig).filter(looksSecret)).toEqual([]);
  });

  it('points the gateway at every subgraph Service and at the JWKS', () => {
    for (const subgraph of SUBGRAPHS)
      expect(openshiftConfig[subgraphUrlVariable(subgraph)]).toBe(subgraphUrl(subgraph));
    expect(openshiftConfig.JWKS_URL).toBe(jwksUrl);
  });

  it('scales only the autoscaled processes with a HorizontalPodAutoscaler', () => {
    const targets = ofKind<Autoscaler>('HorizontalPodAutoscaler').map(
      (h) => h.spec.scaleTargetRef.name,
    );
    expect(targets.sort()).toEqual(
      PROCESSES.filter((p) => p.autoscaled)
        .map((p) => p.name)
        .sort(),
    );
  });

  it("scrapes RabbitMQ's per-queue metrics as the compose Prometheus does, labelled rabbitmq", () => {
    const monitor = ofKind<
      Manifest & {
        spec: {
          endpoints: { path: string; params?: Record<string, string[]>; relabelings?: unknown[] }[];
        };
      }
    >('ServiceMonitor').find((m) => m.metadata.name === 'rabbitmq');
    const job = (
      load(read('prometheus/prometheus.yml')) as {
        scrape_configs: {
          job_name: string;
          metrics_path: string;
          params: Record<string, string[]>;
        }[];
      }
    ).scrape_configs.find((j) => j.job_name === 'rabbitmq')!;
    expect(monitor?.spec.endpoints[0]).toMatchObject({
      path: job.metrics_path,
      params: job.params,
      relabelings: [{ targetLabel: 'service', replacement: 'rabbitmq' }],
    });
  });

  it('routes the alerts to a receiver it defines, as Alertmanager does in compose', () => {
    const [config] = ofKind<
      Manifest & {
        spec: {
          route: { receiver: string; routes: { receiver: string }[] };
          receivers: { name: string }[];
        };
      }
    >('AlertmanagerConfig');
    const names = config.spec.receivers.map((r) => r.name);
    for (const receiver of [
      config.spec.route.receiver,
      ...config.spec.route.routes.map((r) => r.receiver),
    ])
      expect(names).toContain(receiver);
  });

  it('carries the same alert rules for the Prometheus Operator as prometheus/alerts.yml', () => {
    const [rule] = ofKind<Manifest & { spec: { groups: RuleGroup[] } }>('PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.spec.groups).toEqual(alerts.groups);
  });

  describe.each(PROCESSES)('$name', (app) => {
    it('runs an image listed in kustomization.yaml, pinned to a tag', () => {
      const image = appContainerOf(app).image;
      expect(image).toBe(`servicedesk/${app.name}`);
      const entry = kustomization.images?.find((i) => i.name === image);
      expect(entry?.newTag).toMatch(/^(?!latest$)\S+$/);
    });

    it('labels its pods with its name and role, and selects them', () => {
      const deployment = deploymentOf(app);
      expect(podLabelsOf(app)).toMatchObject({
        'app.kubernetes.io/name': app.name,
        'app.kubernetes.io/component': app.kind,
        'app.kubernetes.io/part-of': 'servicedesk',
      });
      expect(matches(deployment.spec.selector, podLabelsOf(app))).toBe(true);
    });

    it('probes /health/ready for readiness and /health/live for liveness and start-up, on its management port', () => {
      const container = appContainerOf(app);
      expect(containerPort(container, 'http')).toBe(app.port);
      expect(containerPort(container, 'management')).toBe(app.managementPort);
      const probes = {
        readiness: container.readinessProbe?.httpGet,
        liveness: container.livenessProbe?.httpGet,
        startup: container.startupProbe?.httpGet,
      };
      expect(probes.readiness?.path).toBe('/health/ready');
      expect(probes.liveness?.path).toBe('/health/live');
      expect(probes.startup?.path).toMatch(/^\/health\/(live|ready)$/);
      for (const probe of Object.values(probes))
        expect(containerPort(container, probe!.port)).toBe(app.managementPort);
    });

    it('sets resource requests and limits on every container', () => {
      for (const container of allContainersOf(app)) {
        for (const bound of ['requests', 'limits'] as const) {
          expect(container.resources?.[bound]).toEqual(
            expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }),
          );
        }
      }
    });

    it('runs every container as non-root, without privilege escalation or capabilities, read-only', () => {
      const pod = deploymentOf(app).spec.template.spec;
      for (const container of allContainersOf(app)) {
        expect(container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot).toBe(
          true,
        );
        expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
        expect(container.securityContext?.capabilities?.drop).toContain('ALL');
        expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
      }
    });

    it('reads its configuration from the ConfigMap and its secrets from the Secret template', () => {
      for (const container of allContainersOf(app)) {
        const fromConfigMaps = (container.envFrom ?? []).flatMap((e) =>
          e.configMapRef ? [e.configMapRef.name] : [],
        );
        expect(fromConfigMaps.length).toBeGreaterThan(0);
        for (const name of fromConfigMaps) expect(configMapNames).toContain(name);
        const env = container.env ?? [];
        expect(
          env.filter((e) => looksSecret(e.name) && e.value !== undefined).map((e) => e.name),
        ).toEqual([]);
        for (const ref of env.flatMap((e) =>
          e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [],
        )) {
          expect(ref.name).toBe(secretTemplate.metadata.name);
          expect(Object.keys(secretTemplate.stringData ?? {})).toContain(ref.key);
        }
      }
      const container = appContainerOf(app);
      expect(requiredSecretKeysOf(container)).toEqual(expect.arrayContaining(secretsOf(app)));
      for (const variable of configOf(app)) expect(openshiftConfig).toHaveProperty(variable);
      expect(openshiftConfig[portVariable(app)]).toBe(String(app.port));
      expect(openshiftConfig[managementPortVariable(app)]).toBe(String(app.managementPort));
    });

    it('is given longer to stop than its shutdown timeout plus the preStop pause', () => {
      const preStop = appContainerOf(app).lifecycle?.preStop?.exec?.command ?? [];
      const pause = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
      const grace = deploymentOf(app).spec.template.spec.terminationGracePeriodSeconds ?? 30;
      expect(grace).toBeGreaterThan(Number(openshiftConfig.SHUTDOWN_TIMEOUT_MS) / 1000 + pause);
    });

    it('runs at least two replicas, fixed or through its autoscaler', () => {
      const deployment = deploymentOf(app);
      const autoscaler = ofKind<Autoscaler>('HorizontalPodAutoscaler').find(
        (h) =>
          h.spec.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === app.name,
      );
      if (app.autoscaled) {
        expect(autoscaler?.spec.minReplicas).toBeGreaterThanOrEqual(2);
        // A fixed count would reset the autoscaler's choice on every apply.
        expect(deployment.spec.replicas).toBeUndefined();
      } else {
        expect(autoscaler).toBeUndefined();
        expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
      }
    });

    it('has a Service on its public and management ports selecting its pods', () => {
      const service = ofKind<Service>('Service').find((s) => s.metadata.name === app.name);
      expect(service).toBeDefined();
      expect(matches({ matchLabels: service!.spec.selector }, podLabelsOf(app))).toBe(true);
      const port = service!.spec.ports.find((p) => p.name === 'http');
      expect(port?.port).toBe(app.port);
      expect(containerPort(appContainerOf(app), port!.targetPort ?? port!.port)).toBe(app.port);
      const management = service!.spec.ports.find((p) => p.name === 'management');
      expect(management?.port).toBe(app.managementPort);
      expect(containerPort(appContainerOf(app), management!.targetPort ?? management!.port)).toBe(
        app.managementPort,
      );
    });

    it('has a PodDisruptionBudget over its pods', () => {
      const budgets = ofKind<DisruptionBudget>('PodDisruptionBudget').filter((b) =>
        matches(b.spec.selector, podLabelsOf(app)),
      );
      expect(budgets).toHaveLength(1);
    });

    it('is scraped by a ServiceMonitor on /metrics, on its management port', () => {
      const service = ofKind<Service>('Service').find((s) => s.metadata.name === app.name)!;
      const monitors = ofKind<ServiceMonitor>('ServiceMonitor').filter((m) =>
        matches(m.spec.selector, service.metadata.labels),
      );
      expect(monitors.length).toBeGreaterThan(0);
      expect(monitors[0].apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitors[0].spec.endpoints).toContainEqual(
        expect.objectContaining({ port: 'management', path: '/metrics' }),
      );
    });

    it('accepts traffic only from its callers and from monitoring', () => {
      const monitoring = (peer: NetworkPolicyPeer): boolean =>
        !peer.podSelector &&
        peer.namespaceSelector?.matchLabels?.['network.openshift.io/policy-group'] === 'monitoring';
      const gateway = (peer: NetworkPolicyPeer): boolean =>
        !peer.namespaceSelector &&
        !!peer.podSelector?.matchLabels &&
        matches(peer.podSelector, podLabelsOf(GATEWAY));
      const router = (peer: NetworkPolicyPeer): boolean =>
        !peer.podSelector &&
        peer.namespaceSelector?.matchLabels?.['policy-group.network.openshift.io/ingress'] === '';
      const callers = app.kind === 'subgraph' ? gateway : router;

      const policies = ofKind<NetworkPolicy>('NetworkPolicy').filter((n) =>
        matches(n.spec.podSelector, podLabelsOf(app)),
      );
      expect(policies.some((n) => n.spec.policyTypes?.includes('Ingress'))).toBe(true);
      const rules = policies.flatMap((n) => n.spec.ingress ?? []);
      for (const rule of rules) expect(rule.from?.length).toBeGreaterThan(0);
      const peers = rules.flatMap((rule) => rule.from ?? []);
      expect(peers.filter((peer) => !callers(peer) && !monitoring(peer))).toEqual([]);
      expect(peers.some(callers)).toBe(true);
      expect(peers.some(monitoring)).toBe(true);
      // Callers reach the public port only, monitoring the management port only.
      const portsFor = (peer: (p: NetworkPolicyPeer) => boolean) =>
        rules
          .filter((rule) => rule.from?.some(peer))
          .flatMap((rule) => (rule.ports ?? [{}]).map((p) => p.port ?? 'any'));
      expect(new Set(portsFor(callers))).toEqual(new Set(['http']));
      expect(new Set(portsFor(monitoring))).toEqual(new Set(['management']));
    });

    it('connects out only to DNS, the trace collector, the ports of its dependencies and its callees', () => {
      const policies = ofKind<NetworkPolicy>('NetworkPolicy').filter(
        (n) =>
          n.spec.policyTypes?.includes('Egress') && matches(n.spec.podSelector, podLabelsOf(app)),
      );
      // Once a policy selects the pod for Egress, it reaches only what the rules allow.
      expect(policies.length).toBeGreaterThan(0);
      const rules = policies.flatMap((n) => n.spec.egress ?? []);

      const toAnywhere = rules.filter((rule) => !rule.to?.length);
      for (const rule of toAnywhere) expect(rule.ports?.length).toBeGreaterThan(0);
      const anywherePorts = toAnywhere.flatMap((rule) =>
        (rule.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`),
      );
      const tracingPort = Number(new URL(openshiftConfig.OTEL_EXPORTER_OTLP_ENDPOINT).port);
      expect(anywherePorts.sort()).toEqual(
        egressPortsOf(app, tracingPort)
          .map((port) => `TCP/${port}`)
          .sort(),
      );

      const toDns = rules.filter((rule) =>
        rule.to?.some(
          (peer) =>
            !peer.podSelector &&
            peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ===
              'openshift-dns',
        ),
      );
      // The DNS Service's port 53 is served on 5353 by the openshift-dns pods.
      expect(toDns.flatMap((rule) => rule.ports ?? [])).toEqual(
        expect.arrayContaining([
          { port: 53, protocol: 'UDP' },
          { port: 5353, protocol: 'UDP' },
        ]),
      );

      const toPods = rules.filter(
        (rule) =>
          !!rule.to?.length &&
          rule.to.every((peer) => peer.podSelector && !peer.namespaceSelector && !peer.ipBlock),
      );
      const reaches = (callee: DeployedProcess): boolean =>
        toPods.some(
          (rule) =>
            rule.to!.some((peer) => matches(peer.podSelector!, podLabelsOf(callee))) &&
            (rule.ports === undefined ||
              rule.ports.some(
                (p) => containerPort(appContainerOf(callee), p.port ?? '') === callee.port,
              )),
        );
      expect(PROCESSES.filter(reaches).map((p) => p.name)).toEqual(
        calleesOf(app).map((p) => p.name),
      );

      const unexplained = rules.filter(
        (rule) => !toAnywhere.includes(rule) && !toDns.includes(rule) && !toPods.includes(rule),
      );
      expect(unexplained).toEqual([]);
    });

    if (app.kind === 'subgraph') {
      it('migrates its schema from its own image before it starts', () => {
        const [migrate, ...others] = deploymentOf(app).spec.template.spec.initContainers ?? [];
        expect(others).toEqual([]);
        expect(migrate.image).toBe(appContainerOf(app).image);
        expect([...(migrate.command ?? []), ...(migrate.args ?? [])].join(' ')).toBe(
          `node ${migrateScript(app)}`,
        );
        expect(migrate.envFrom).toEqual(appContainerOf(app).envFrom);
        expect(migrate.env).toEqual(appContainerOf(app).env);
      });
    }
  });

  it('exposes the gateway, and only it, through a TLS edge Route', () => {
    const routes = ofKind<Route>('Route');
    expect(routes).toHaveLength(1);
    expect(routes[0].spec.to).toMatchObject({ kind: 'Service', name: GATEWAY.name });
    expect(routes[0].spec.tls?.termination).toBe('edge');
    expect(routes[0].spec.port?.targetPort).toBe('http');
  });
});

// ---------------------------------------------------------------- prometheus/

describe('prometheus/', () => {
  const config = load(read('prometheus/prometheus.yml')) as {
    rule_files?: string[];
    alerting?: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: {
      job_name: string;
      metrics_path?: string;
      params?: Record<string, string[]>;
      static_configs: { targets: string[]; labels?: Labels }[];
    }[];
  };

  it('loads the alert rules', () => {
    expect(config.rule_files).toContain('alerts.yml');
  });

  it.each(PROCESSES)(
    'scrapes $name on /metrics of its management port, labelled with its service name',
    (app) => {
      const scrape = config.scrape_configs.find((job) =>
        job.static_configs.some((s) => s.targets.includes(`${app.name}:${app.managementPort}`)),
      );
      expect(scrape?.metrics_path ?? '/metrics').toBe('/metrics');
      const target = scrape!.static_configs.find((s) =>
        s.targets.includes(`${app.name}:${app.managementPort}`),
      );
      expect(target?.labels?.service).toBe(app.name);
    },
  );

  it('sends firing alerts to Alertmanager', () => {
    const targets = config.alerting?.alertmanagers.flatMap((a) =>
      a.static_configs.flatMap((s) => s.targets),
    );
    expect(targets).toEqual(['alertmanager:9093']);
  });

  it("scrapes RabbitMQ's per-queue depth, unacked and consumers, labelled rabbitmq", () => {
    const job = config.scrape_configs.find((j) => j.job_name === 'rabbitmq');
    expect(job?.metrics_path).toBe('/metrics/detailed');
    expect(job?.params?.family).toEqual(['queue_coarse_metrics', 'queue_consumer_count']);
    expect(job?.static_configs).toEqual([
      { targets: ['rabbitmq:15692'], labels: { service: 'rabbitmq' } },
    ]);
  });

  it('gives every alert a unique name, a severity, a summary and a description', () => {
    const names = alertRules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of alertRules) {
      expect(rule.alert).toMatch(/^Servicedesk[A-Z]\w+$/);
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations).toEqual(
        expect.objectContaining({ summary: expect.any(String), description: expect.any(String) }),
      );
    }
  });

  it('reads only metrics the processes expose', () => {
    const unknown = alertRules
      .flatMap((r) => metricNames(r.expr))
      .filter((name) => !isKnownMetric(name));
    expect(unknown).toEqual([]);
  });

  it('alerts on what operators need: down, errors, latency, outbox, dead letters, retries, subgraph calls, failing notifications', () => {
    const expressions = alertRules.map((r) => r.expr.replace(/\s+/g, ' ').trim());
    const some = (pattern: RegExp): boolean => expressions.some((e) => pattern.test(e));
    expect(some(/^up == 0$/)).toBe(true);
    expect(some(/http_requests_total\{[^}]*status_code=~"5\.\."/)).toBe(true);
    expect(some(/histogram_quantile\(0\.95, .*http_request_duration_seconds_bucket/)).toBe(true);
    expect(some(/outbox_pending\) > \d+$/)).toBe(true);
    expect(some(/outbox_oldest_pending_age_seconds\) > 60$/)).toBe(true);
    expect(some(/outbox_failed\) > 0$/)).toBe(true);
    expect(some(/rabbitmq_detailed_queue_consumers\{queue=~"[^"]*"\}\), .*\) == 0$/)).toBe(true);
    expect(
      some(/rabbitmq_detailed_queue_messages_ready\{queue=~"[^"]*"\}\) > \d+ and .*delta/),
    ).toBe(true);
    expect(some(/messaging_consumed_total\{outcome="retried"\}/)).toBe(true);
    expect(some(/subgraph_request_duration_seconds_count\{outcome=~"[^"]*unreachable/)).toBe(true);
    expect(some(/subgraph_request_duration_seconds_count\{outcome="graphql_errors"\}/)).toBe(true);
    expect(some(/notifications_total\{[^}]*outcome="failed"/)).toBe(true);
    expect(some(/notifications_total\{channel="EMAIL", outcome="failed"\}/)).toBe(true);
  });

  it('pages on the first dead-lettered message and until the last one is gone: DLQ depth, not an increase', () => {
    const rule = alertRules.find((r) => r.alert === 'ServicedeskDeadLetterQueueNotEmpty');
    expect(rule?.expr).toMatch(/rabbitmq_detailed_queue_messages\{queue=~"\.\+\\\\\.dlq"\}/);
    expect(rule?.expr.trim()).toMatch(/\) > 0$/);
    expect(rule?.for).toBeUndefined();
  });

  describe.each(alertRules.map((r) => r.alert!))('%s', (alert) => {
    const tests = readdirSync(join(root, 'prometheus', 'tests'))
      .map((file) => load(read(join('prometheus', 'tests', file))) as RuleTestFile)
      .flatMap((file) => file.tests.flatMap((t) => t.alert_rule_test ?? []))
      .filter((t) => t.alertname === alert);

    it('has promtool unit tests of it firing and of it not firing', () => {
      expect(tests.some((t) => (t.exp_alerts ?? []).length > 0)).toBe(true);
      expect(tests.some((t) => (t.exp_alerts ?? []).length === 0)).toBe(true);
    });
  });
});

// ---------------------------------------------------------------- docs/runbooks/

describe('docs/runbooks/', () => {
  const INDEX = 'RUNBOOK.md';
  const PAGES = new Set([INDEX, 'TROUBLESHOOTING.md']);
  const runbooks = readdirSync(join(root, 'docs', 'runbooks')).filter(
    (f) => f.endsWith('.md') && !PAGES.has(f),
  );
  const index = read(join('docs', 'runbooks', INDEX));

  it('has a runbook for every alert, and an alert for every runbook', () => {
    expect(runbooks.sort()).toEqual(alertRules.map((r) => `${r.alert}.md`).sort());
  });

  it('links the troubleshooting page from the index', () => {
    expect(index).toContain('(TROUBLESHOOTING.md)');
    expect(existsSync(join(root, 'docs', 'runbooks', 'TROUBLESHOOTING.md'))).toBe(true);
  });

  describe.each(alertRules)('$alert', (rule) => {
    it("is linked by its rule's runbook_url, in the Prometheus and OpenShift rules alike", () => {
      expect(rule.annotations?.runbook_url).toBe(`docs/runbooks/${rule.alert}.md`);
    });

    it('says what it means, how to confirm it, the first response and when to escalate', () => {
      const text = read(join('docs', 'runbooks', `${rule.alert}.md`));
      expect(text).toMatch(new RegExp(`^# ${rule.alert}\n`));
      for (const section of ['## What it means', '## Confirm', '## First response', '## Escalate'])
        expect(text).toContain(`\n${section}\n`);
      expect(text).toContain('```promql');
    });

    it('is a row of the alert matrix with its severity and runbook', () => {
      const row = index
        .split('\n')
        .find((line) => line.includes(`[${rule.alert}](${rule.alert}.md)`));
      expect(row).toBeDefined();
      expect(row!.split('|').map((cell) => cell.trim())).toContain(rule.labels!.severity);
    });
  });
});

// ---------------------------------------------------------------- grafana/

describe('grafana/', () => {
  const flatten = (panels: GrafanaPanel[]): GrafanaPanel[] =>
    panels.flatMap((p) => [p, ...flatten(p.panels ?? [])]);

  it('provisions Prometheus under a fixed uid', () => {
    expect(prometheusDatasource).toMatchObject({
      uid: expect.stringMatching(/\S/),
      url: 'http://prometheus:9090',
    });
  });

  it('ships the overview dashboard', () => {
    expect(dashboardFiles).toContain('servicedesk-overview.json');
  });

  it('ships the logs dashboard: errors by service and every line of one correlation id', () => {
    expect(dashboardFiles).toContain(LOGS_DASHBOARD);
    const dashboard = JSON.parse(
      read(join('grafana', 'dashboards', LOGS_DASHBOARD)),
    ) as GrafanaDashboard;
    const expressions = flatten(dashboard.panels).flatMap((p) =>
      (p.targets ?? []).map((t) => t.expr),
    );
    expect(expressions).toContain(
      'sum by (service) (count_over_time({service=~"$service", level="error"} [$__auto]))',
    );
    expect(expressions.some((e) => e?.includes('correlationId="$correlationId"'))).toBe(true);
    expect(dashboard.templating?.list.map((v) => v.name)).toContain('correlationId');
  });

  it('links Loki lines to their Jaeger trace and Jaeger spans to their Loki lines, by uids that exist', () => {
    const all = datasources.datasources as Array<{
      uid: string;
      type: string;
      jsonData?: {
        derivedFields?: { datasourceUid: string; matcherRegex: string }[];
        tracesToLogsV2?: { datasourceUid: string; query: string };
      };
    }>;
    const uids = new Set(all.map((d) => d.uid));
    const loki = all.find((d) => d.type === 'loki')!;
    const jaeger = all.find((d) => d.type === 'jaeger')!;
    expect(loki.jsonData?.derivedFields).toEqual([
      expect.objectContaining({ datasourceUid: jaeger.uid }),
    ]);
    const traceIdPattern = new RegExp(loki.jsonData!.derivedFields![0].matcherRegex);
    expect(traceIdPattern.exec('{"traceId":"0af7651916cd43dd8448eb211c80319c"}')?.[1]).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
    expect(jaeger.jsonData?.tracesToLogsV2).toMatchObject({ datasourceUid: loki.uid });
    expect(jaeger.jsonData!.tracesToLogsV2!.query).toContain('$${__trace.traceId}');
    for (const uid of [
      ...loki.jsonData!.derivedFields!.map((f) => f.datasourceUid),
      jaeger.jsonData!.tracesToLogsV2!.datasourceUid,
    ])
      expect(uids).toContain(uid);
  });

  describe.each(dashboardFiles)('%s', (file) => {
    const dashboard = JSON.parse(read(join('grafana', 'dashboards', file))) as GrafanaDashboard;
    const panels = flatten(dashboard.panels);
    const queried = panels.filter((p) => p.targets?.length);

    it('is a dashboard Grafana can load', () => {
      expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
      expect(dashboard.title).toBeTruthy();
      expect(typeof dashboard.schemaVersion).toBe('number');
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of panels) expect(panel.gridPos).toBeDefined();
    });

    // A dashboard reads one provisioned datasource: metrics from Prometheus, logs from Loki.
    const expected = file === LOGS_DASHBOARD ? lokiDatasource : prometheusDatasource;

    it(`queries the provisioned ${expected.name} in every panel, target and variable`, () => {
      expect(queried.length).toBeGreaterThan(0);
      for (const panel of queried) {
        expect(panel.datasource?.uid).toBe(expected.uid);
        for (const target of panel.targets!)
          expect(target.datasource?.uid ?? panel.datasource?.uid).toBe(expected.uid);
      }
      for (const variable of dashboard.templating?.list ?? []) {
        if (variable.datasource) expect(variable.datasource.uid).toBe(expected.uid);
      }
    });

    it('reads only metrics the processes expose', () => {
      const expressions = queried
        .filter((p) => p.datasource?.uid === prometheusDatasource.uid)
        .flatMap((p) => p.targets!.map((t) => t.expr ?? ''));
      expect(expressions.flatMap(metricNames).filter((name) => !isKnownMetric(name))).toEqual([]);
    });

    if (file === 'servicedesk-overview.json') {
      it('shows requests, errors, latency, outbox, consumers, dead letters, publishing, queues, business counters, appointments, notifications, queries and runtime', () => {
        const used = new Set(
          queried.flatMap((p) => p.targets!.flatMap((t) => metricNames(t.expr ?? ''))),
        );
        const expressions = queried.flatMap((p) => p.targets!.map((t) => t.expr ?? '')).join('\n');
        for (const metric of [
          'http_requests_total',
          'http_request_duration_seconds_bucket',
          'outbox_pending',
          'outbox_oldest_pending_age_seconds',
          'outbox_failed',
          'messaging_consumed_total',
          'messaging_published_total',
          'db_queries_total',
          'notifications_total',
          'nodejs_eventloop_lag_p99_seconds',
          'process_resident_memory_bytes',
          'rabbitmq_detailed_queue_messages',
          'rabbitmq_detailed_queue_messages_ready',
          'rabbitmq_detailed_queue_messages_unacked',
          'rabbitmq_detailed_queue_consumers',
          'tickets_resolved_total',
          'login_failures_total',
          'account_lockouts_total',
        ]) {
          expect(used).toContain(metric);
        }
        expect(expressions).toContain('outcome="dead_lettered"');
        expect(expressions).toMatch(/sum by \(outcome\) \(rate\(messaging_consumed_total/);
        expect(expressions).toContain('type=~"appointment\\\\.(booked');
        expect(expressions).toMatch(/sum by \(channel, outcome\) \(rate\(notifications_total/);
        expect(expressions).toMatch(/notifications_total\{outcome="failed"\}/);
        for (const type of ['ticket.created', 'ticket.sla_breached'])
          expect(expressions).toContain(
            `messaging_published_total{service="ticket", type="${type}"}`,
          );
        expect(expressions).toContain('type=~"appointment\\\\.(booked|cancelled)"');
        expect(expressions).toContain('notifications_total{channel="EMAIL"}');
      });
    }
  });
});
