import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTcpProxy, startSmtpServer } from '@servicedesk/testing';
import { runRateLimits, runSecrets } from './bench';
import { Interrupted, ToolRun, runWithCleanup } from './tool-run';
import { createBenchDatabase, createBenchVhost, freePorts } from './bench-infrastructure';
import { topologyOptions } from './broker-topology';
import { ChaosCommand, ChaosUsageError, chaosUsage, parseChaosArguments } from './chaos-arguments';
import { PlatformProbe } from './chaos-probe';
import { ScenarioResult, renderChaosReport } from './chaos-report';
import { ChaosRunner } from './chaos-runner';
import { COLD_START, SCENARIOS, SCENARIO_NAMES, ServiceFaults } from './chaos-scenarios';
import { ChaosSupervisor } from './chaos-supervisor';
import { ChaosWorkload } from './chaos-workload';
import { loadToolsConfig } from './config';
import { ALL_PROCESSES, ProcessSpec, SUBGRAPH_PROCESSES } from './processes';
import { stackEnvironment, stackPorts } from './start';

/**
 * `npm run chaos`: the fault-injection suite. Starts the platform from the build against a
 * database, a vhost and an SMTP server of its own, each service's PostgreSQL and RabbitMQ
 * connections through a fault proxy, runs the scenarios one at a time under a steady workload,
 * checks after each that nothing was lost, doubled, stuck or unanswered, prints the table and
 * removes what it created — also when it fails or is interrupted.
 */

/** Subgraph calls are bounded at 10 s by the gateway; a client waits that and a margin. */
const REQUEST_BOUND_MS = 15_000;
/** Small pools and prefetch: the stack shares PostgreSQL with whatever else runs here. */
const RUN_SETTINGS = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  DATABASE_POOL_SIZE: '5',
  CONSUMER_PREFETCH: '2',
  // Retries back off to 10 s at most, so a scenario drains within its bounded wait.
  CONSUMER_RETRY_MAX_MS: '10000',
  // Emails left due by a killed sender are picked up again within 5 s, not 30.
  NOTIFICATION_RELEASE_INTERVAL_MS: '5000',
  // Outlives the longest run, so the workload never meets an expired token.
  ACCESS_TOKEN_TTL_SECONDS: '7200',
};

function say(line: string): void {
  process.stderr.write(`[chaos] ${line}\n`);
}

function hostAndPort(url: string, defaultPort: number): [string, number] {
  const parsed = new URL(url);
  return [parsed.hostname, Number(parsed.port) || defaultPort];
}

async function chaos(
  command: Extract<ChaosCommand, { kind: 'run' }>,
  { signal, cleanups }: ToolRun,
  results: ScenarioResult[],
  logFolder: string,
): Promise<void> {
  const config = loadToolsConfig();
  const name = `servicedesk_chaos_${process.pid}_${randomBytes(3).toString('hex')}`;

  const database = await createBenchDatabase(config.DATABASE_URL, name);
  cleanups.push({ what: `drop database ${name}`, run: database.remove });
  const vhost = await createBenchVhost(config.RABBITMQ_URL, name);
  cleanups.push({ what: `delete vhost ${name}`, run: vhost.remove });
  if (vhost.caveat) throw new Error(`the suite needs a vhost of its own: ${vhost.caveat}`);

  const smtp = await startSmtpServer();
  cleanups.push({ what: 'close the SMTP server', run: () => smtp.close() });

  const faults = new Map<string, ServiceFaults>();
  cleanups.push({
    what: 'close the fault proxies',
    run: async () => {
      await Promise.all(
        [...faults.values()].flatMap((f) => [f.database.close(), f.broker.close()]),
      );
    },
  });
  for (const spec of SUBGRAPH_PROCESSES) {
    faults.set(spec.name, {
      database: await createTcpProxy(...hostAndPort(database.url, 5432)),
      broker: await createTcpProxy(...hostAndPort(vhost.url, 5672)),
    });
  }

  // A public and a management port per process, and a pair for a second replica.
  const free = await freePorts(2 * (ALL_PROCESSES.length + 1));
  const ports = stackPorts(() => free.pop()!);
  const sparePort = free.pop()!;
  const managementPorts = new Map(
    [...ports.values(), sparePort].map((port) => [port, free.pop()!]),
  );
  const secrets = runSecrets();
  const rateLimits = runRateLimits();
  const environment = (spec: ProcessSpec, port: number): NodeJS.ProcessEnv => {
    const own = faults.get(spec.name);
    return stackEnvironment(ports, {
      ...secrets,
      ...rateLimits,
      ...RUN_SETTINGS,
      SMTP_URL: smtp.url,
      [spec.portVariable]: String(port),
      [`${spec.name.toUpperCase()}_MANAGEMENT_PORT`]: String(managementPorts.get(port)),
      DATABASE_URL: own ? own.database.urlFor(database.url) : database.url,
      RABBITMQ_URL: own ? own.broker.urlFor(vhost.url) : vhost.url,
    });
  };

  const supervisor = new ChaosSupervisor({ logFolder, environment });
  cleanups.push({ what: 'stop the services', run: () => supervisor.stopAll() });
  process.once('exit', () => supervisor.killRemaining());

  for (const spec of SUBGRAPH_PROCESSES) {
    say(`migrating ${spec.name}`);
    await supervisor.migrate(spec, ports.get(spec.name)!);
  }

  const [anyService] = SUBGRAPH_PROCESSES;
  const probe = await PlatformProbe.open({
    databaseUrl: database.url,
    rabbitmqUrl: vhost.url,
    vhost: name,
    smtp,
    // The queues the services declare, read from the environment they run with.
    topology: topologyOptions(environment(anyService, ports.get(anyService.name)!)),
  });
  cleanups.push({ what: 'close the probe', run: () => probe.close() });
  const workload = new ChaosWorkload({
    gatewayUrl: `http://127.0.0.1:${ports.get('gateway')}/graphql`,
    admin: { email: secrets.ADMIN_EMAIL, password: secrets.ADMIN_PASSWORD },
    requestBoundMs: REQUEST_BOUND_MS,
    signal,
  });
  const runner = new ChaosRunner({
    context: { supervisor, faults, sparePort, rabbitmqUrl: vhost.url, signal, say },
    probe,
    workload,
    ports,
    requestBoundMs: REQUEST_BOUND_MS,
  });

  const scenarios = SCENARIOS.filter((s) => command.scenarios.includes(s.name));
  const coldStart = command.scenarios.includes(COLD_START.name);
  if (coldStart) {
    results.push(await runner.coldStart());
  } else {
    say('starting the stack');
    await runner.startStack();
  }
  const selfTest = await runner.checkTheChecker();
  // Put first: a checker that cannot see a forged fault makes every other row meaningless.
  results.unshift(selfTest);
  if (!selfTest.passed) return;
  for (const scenario of scenarios) results.push(await runner.run(scenario));
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: ChaosCommand;
  try {
    command = parseChaosArguments(argv, SCENARIO_NAMES);
  } catch (error) {
    if (!(error instanceof ChaosUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${chaosUsage(SCENARIO_NAMES)}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${chaosUsage(SCENARIO_NAMES)}\n`);
    return 0;
  }

  const results: ScenarioResult[] = [];
  const logFolder = mkdtempSync(join(tmpdir(), 'servicedesk-chaos-'));
  say(`logs of every process: ${logFolder}`);
  const { failure } = await runWithCleanup(say, (run) => chaos(command, run, results, logFolder));
  if (failure) {
    // fetch says only "fetch failed"; the reason is its cause.
    const cause = failure.cause instanceof Error ? ` (${failure.cause.message})` : '';
    say(`failed: ${failure.message}${cause}\n${failure.stack ?? ''}`);
  }
  process.stdout.write(
    `${command.json ? JSON.stringify({ results, failure: failure?.message ?? null, logFolder }, null, 2) : renderChaosReport(results, logFolder, failure?.message ?? null)}\n`,
  );
  if (failure instanceof Interrupted) return 130;
  return failure === null && results.every((r) => r.passed) ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      say(`failed: ${error instanceof Error ? error.stack : String(error)}`);
      process.exitCode = 1;
    },
  );
}
