import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { BENCH_USAGE, BenchCommand, BenchUsageError, parseBenchArguments } from './bench-arguments';
import { GatewayClient } from './bench-client';
import {
  benchName,
  createBenchDatabase,
  createBenchVhost,
  freePorts,
} from './bench-infrastructure';
import { MailSink } from './bench-mail';
import { BenchReport, machineFacts, renderReport } from './bench-report';
import { runGatewayBenchmark } from './bench-gateway-run';
import { runPipelineBenchmark } from './bench-pipeline';
import { renderPipelineReport } from './bench-pipeline-report';
import { BenchScenario } from './bench-scenario';
import { loadToolsConfig } from './config';
import { Interrupted, ToolRun, runWithCleanup, unlessAborted } from './tool-run';
import { ALL_PROCESSES } from './processes';
import { ServiceStack, managementEnvironment, stackEnvironment, stackPorts } from './start';

/**
 * `npm run bench`: starts the whole platform as `npm start` does, but against a database and
 * a RabbitMQ vhost of its own and on free ports, with an SMTP server of its own that counts
 * the emails, measures the read, write, event, appointment, email and login paths through the
 * gateway, prints the figures, and removes everything it created — also when it fails or is
 * interrupted.
 */

const NODE_ENV = 'production';
const LOG_LEVEL = 'warn';

function say(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Production settings need real secrets; these live as long as the run. */
export function runSecrets(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    SERVICE_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ADMIN_EMAIL: `bench-admin-${randomBytes(4).toString('hex')}@example.com`,
    ADMIN_PASSWORD: `Bench-admin-${randomBytes(12).toString('base64url')}`,
  };
}

/**
 * The gateway's rate limits under a run's workload: a key prefix of the run's own, and limits
 * no workload reaches, in one-second windows whose counters vanish by themselves. The limiter
 * still runs, so what it costs is part of what is measured.
 */
export function runRateLimits(): Record<string, string> {
  const outOfReach = '100000000/1';
  return {
    RATE_LIMIT_KEY_PREFIX: `servicedesk-run-${randomBytes(4).toString('hex')}:`,
    RATE_LIMIT_ANONYMOUS: outOfReach,
    RATE_LIMIT_LOGIN_PER_ADDRESS: outOfReach,
    RATE_LIMIT_LOGIN_PER_ACCOUNT: outOfReach,
    RATE_LIMIT_REGISTER_PER_ADDRESS: outOfReach,
    RATE_LIMIT_MUTATIONS_PER_USER: outOfReach,
  };
}

async function benchmark(
  command: Extract<BenchCommand, { kind: 'run' }>,
  { signal, fail, cleanups }: ToolRun,
): Promise<BenchReport | string> {
  const config = loadToolsConfig();
  const name = benchName();
  const notes: string[] = [];

  const database = await createBenchDatabase(config.DATABASE_URL, name);
  cleanups.push({ what: `drop database ${name}`, run: database.remove });
  const vhost = await createBenchVhost(config.RABBITMQ_URL, name);
  cleanups.push({ what: `delete vhost ${name}`, run: vhost.remove });
  if (vhost.caveat) {
    say(vhost.caveat);
    notes.push(vhost.caveat);
  }

  if (command.pipeline) {
    if (vhost.caveat)
      throw new Error(`the pipeline benchmark needs a vhost of its own: ${vhost.caveat}`);
    const report = await runPipelineBenchmark({
      databaseUrl: database.url,
      rabbitmqUrl: vhost.url,
      vhost: name,
      settings: {
        ...runSecrets(),
        ...runRateLimits(),
        NODE_ENV,
        LOG_LEVEL,
        ACCESS_TOKEN_TTL_SECONDS: '3600',
      },
      durationSeconds: command.durationSeconds,
      rates: command.rates,
      notes,
      run: { signal, fail, cleanups },
      say,
    });
    return command.json ? JSON.stringify(report, null, 2) : renderPipelineReport(report);
  }

  // A public and a management port per process, one for the stock gateway, one for SMTP.
  const free = await freePorts(2 * ALL_PROCESSES.length + 2);
  const stockPort = free.pop()!;
  const mail = await MailSink.start(`smtp://127.0.0.1:${free.pop()!}`);
  // Pushed before the services, so it closes after they have stopped sending.
  cleanups.push({ what: 'close the SMTP server', run: () => mail.close() });
  const ports = stackPorts(() => free.pop()!);
  const secrets = runSecrets();
  const stack = new ServiceStack({
    env: stackEnvironment(ports, {
      ...managementEnvironment(() => free.pop()!),
      ...secrets,
      ...runRateLimits(),
      NODE_ENV,
      LOG_LEVEL,
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      SMTP_URL: mail.url,
      // Outlives the longest run, so no phase measures a token refresh.
      ACCESS_TOKEN_TTL_SECONDS: '3600',
    }),
    // Their logs go to stderr, so stdout carries only the figures (and stays valid JSON).
    output: { stdout: process.stderr, stderr: process.stderr },
    say,
    onUnexpectedExit: (service, reason) =>
      fail(new Error(`${service} stopped unexpectedly (${reason})`)),
  });
  cleanups.push({ what: 'stop the services', run: () => stack.stop() });
  say(
    `starting the services on ports ${[...ports.values()].join(', ')} (database and vhost ${name}, ` +
      `SMTP ${mail.url})`,
  );
  await unlessAborted(stack.start(), signal);

  if (command.gateway) {
    const env = stackEnvironment(ports, { ...secrets, NODE_ENV, LOG_LEVEL });
    return runGatewayBenchmark({
      api: new GatewayClient(`http://127.0.0.1:${ports.get('gateway')}/graphql`, signal),
      stockUrl: `http://127.0.0.1:${stockPort}/`,
      userSubgraphUrl: `http://127.0.0.1:${ports.get('user')}/graphql`,
      env,
      stockPort,
      projectPid: stack.pid('gateway')!,
      userPid: stack.pid('user')!,
      secret: secrets.SERVICE_TOKEN_SECRET,
      admin: { email: secrets.ADMIN_EMAIL, password: secrets.ADMIN_PASSWORD },
      clients: command.concurrency,
      rounds: 3,
      durationMs: command.durationSeconds * 1000,
      signal,
      output: process.stderr,
      say,
    });
  }
  const scenario = new BenchScenario({
    api: new GatewayClient(`http://127.0.0.1:${ports.get('gateway')}/graphql`, signal),
    signal,
    say,
    admin: { email: secrets.ADMIN_EMAIL, password: secrets.ADMIN_PASSWORD },
    durationSeconds: command.durationSeconds,
    concurrency: command.concurrency,
    mail,
  });
  const figures = await scenario.run();
  say(`the SMTP server received ${mail.mails.length} emails in all`);
  return {
    machine: machineFacts(),
    settings: {
      durationSeconds: command.durationSeconds,
      concurrency: command.concurrency,
      nodeEnv: NODE_ENV,
      logLevel: LOG_LEVEL,
    },
    figures,
    notes,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: BenchCommand;
  try {
    command = parseBenchArguments(argv);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${BENCH_USAGE}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }

  const { value: report, failure } = await runWithCleanup(say, (run) => benchmark(command, run));
  if (failure) {
    say(`failed: ${failure.message}`);
    return failure instanceof Interrupted ? 130 : 1;
  }
  process.stdout.write(
    `${typeof report === 'string' ? report : command.json ? JSON.stringify(report, null, 2) : renderReport(report)}\n`,
  );
  return 0;
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
