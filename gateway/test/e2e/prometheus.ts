// A real Prometheus for a test (Debian's `prometheus` binary), scraping a stack with the jobs
// of prometheus/prometheus.yml and evaluating prometheus/alerts.yml; and the queries of the
// Grafana dashboards and the alert rules, as a test evaluates them through its HTTP API.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { waitFor } from '@servicedesk/testing';
import { freePorts } from '../../../shared/tools/src/bench-infrastructure';
import { REPOSITORY_ROOT } from '../../../shared/tools/src/processes';

const PROMETHEUS_DIR = join(REPOSITORY_ROOT, 'prometheus');
const DASHBOARDS_DIR = join(REPOSITORY_ROOT, 'grafana', 'dashboards');

/** A sample of an instant query's answer: its labels and value. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  url: string;
  /** The samples `expr` evaluates to now; throws on a query Prometheus refuses. */
  query(expr: string): Promise<Sample[]>;
  close(): Promise<void>;
}

export interface ScrapeTargets {
  /** `host:port` of the management endpoints of each process, by their `service` label. */
  processes: Record<string, string[]>;
  /** `host:port` of RabbitMQ's prometheus plugin. */
  rabbitmq: string;
  /** The vhost whose queues are scraped, so other tests' queues stay out. */
  vhost: string;
}

interface StaticConfig {
  targets: string[];
  labels?: Record<string, string>;
}

interface ScrapeConfig {
  job_name: string;
  params?: Record<string, string[]>;
  static_configs: StaticConfig[];
}

interface PrometheusConfig {
  global?: Record<string, string>;
  rule_files?: string[];
  alerting?: unknown;
  scrape_configs: ScrapeConfig[];
}

/**
 * prometheus/prometheus.yml with the test's targets in place of the compose hosts (each
 * `service` there needs one here), every second instead of every 15, and no Alertmanager:
 * the jobs, paths, parameters and labels stay those operators run.
 */
export function testConfig(targets: ScrapeTargets): PrometheusConfig {
  const config = load(
    readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'),
  ) as PrometheusConfig;
  const targetsOf = (service: string | undefined): string[] => {
    const found = service === 'rabbitmq' ? [targets.rabbitmq] : targets.processes[service ?? ''];
    if (!found?.length)
      throw new Error(`prometheus.yml scrapes a service the test has not: ${service}`);
    return found;
  };
  return {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: (config.rule_files ?? []).map((file) => join(PROMETHEUS_DIR, file)),
    scrape_configs: config.scrape_configs.map((job) => ({
      ...job,
      ...(job.params ? { params: { ...job.params, vhost: [targets.vhost] } } : {}),
      static_configs: job.static_configs.map((group) => ({
        ...group,
        targets: targetsOf(group.labels?.service),
      })),
    })),
  };
}

function prometheusBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      "the prometheus binary is not on PATH: install Debian's package (`apt-get install -y --no-install-recommends prometheus`, as .ci/run does)",
    );
  }
}

/** Starts Prometheus on a free port with a temporary storage directory, and waits until it is ready. */
export async function startPrometheus(config: PrometheusConfig): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'servicedesk-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, dump(config));
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${output.join('')}`);
        return (await fetch(`${url}/-/ready`)).status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: 'Prometheus to be ready' },
    );
  } catch (error) {
    await close();
    throw error;
  }

  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }),
      });
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: Sample[] };
      };
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
      // A scalar or string answer is not a set of series.
      return body.data?.resultType === 'vector' ? body.data.result : [];
    },
    close,
  };
}

/** A query of a dashboard panel: where it is, and its PromQL with template variables filled in. */
export interface DashboardQuery {
  where: string;
  expr: string;
}

interface Panel {
  title?: string;
  datasource?: { type?: string };
  targets?: Array<{ expr?: string; refId?: string; datasource?: { type?: string } }>;
  panels?: Panel[];
}

/**
 * Grafana's variables as the dashboards use them: every `$service` (the variable's "All"),
 * and a rate window that holds several of the test's 1 s scrapes.
 */
const TEMPLATE_VALUES: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '1s',
  $service: '.+',
};

function fillTemplate(expr: string): string {
  return expr.replace(/\$\w+/g, (name) => {
    const value = TEMPLATE_VALUES[name];
    if (value === undefined) throw new Error(`no test value for the dashboard variable ${name}`);
    return value;
  });
}

/** Every Prometheus query of every dashboard in grafana/dashboards (Loki queries are not PromQL). */
export function dashboardQueries(): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const file of readdirSync(DASHBOARDS_DIR).filter((name) => name.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as {
      panels: Panel[];
    };
    const visit = (panels: Panel[]) => {
      for (const panel of panels) {
        visit(panel.panels ?? []);
        for (const target of panel.targets ?? []) {
          const type = target.datasource?.type ?? panel.datasource?.type;
          if (type !== 'prometheus' || !target.expr) continue;
          queries.push({
            where: `${file} "${panel.title}" ${target.refId ?? ''}`.trim(),
            expr: fillTemplate(target.expr),
          });
        }
      }
    };
    visit(dashboard.panels);
  }
  return queries;
}

/** An alert rule of prometheus/alerts.yml. */
export interface AlertRule {
  alert: string;
  expr: string;
}

export function alertRules(): AlertRule[] {
  const { groups } = load(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: AlertRule[] }>;
  };
  return groups.flatMap((group) => group.rules.filter((rule) => rule.alert));
}

/**
 * What an alert measures: its expression with every comparison against a number removed
 * (`up == 0` → `up`, `ratio > 0.05` → `ratio`, `a > 100 and b > 0` → `a and b`). A quiet
 * system answers the alert itself with nothing, so that cannot show the metrics exist; the
 * measured quantity must have series, or the alert could never fire. Label matchers compare
 * with strings (`status_code="401"`), never a bare number, so they are left alone.
 */
export function measuredBy(expr: string): string {
  return expr.replace(/\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?-?\d+(?:\.\d+)?(?![\w.])/g, '');
}
