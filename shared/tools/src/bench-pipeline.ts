import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Actor, GatewayClient } from './bench-client';
import { freePorts } from './bench-infrastructure';
import { PipelineDatabase } from './bench-pipeline-database';
import { PipelineMailSink } from './bench-pipeline-mail';
import { MAX_IN_FLIGHT, PipelinePhases } from './bench-pipeline-phases';
import { PipelineReport, RateFigures } from './bench-pipeline-report';
import { PipelineStack } from './bench-pipeline-stack';
import { highestSustainedRate } from './bench-pipeline-stats';
import { machineFacts } from './bench-report';
import { ALL_PROCESSES } from './processes';
import { managementEnvironment, stackEnvironment, stackPorts } from './start';
import { ToolRun, unlessAborted } from './tool-run';

/**
 * `npm run bench -- --pipeline`: the event pipeline from outbox to inbox, email included, on a
 * stack of its own. Sets the scene through the gateway (customers the services know), then
 * runs the open-loop rate phases, the backlog drain and the relay comparison, letting the
 * platform come to rest between them.
 */

/** Customers opening the tickets; each is notified of their own. */
const CUSTOMERS = 8;
/** Registration hashes a password (CPU-bound): two at a time. */
const SETUP_PARALLELISM = 2;
/** Events in the backlog the consumers drain, and rows in the outbox the relay drains. */
export const BACKLOG = 2000;
const SETUP_TIMEOUT_MS = 60_000;

const REGISTER = `mutation BenchPipelineRegister($input: RegisterInput!) {
  register(input: $input) { accessToken user { id } } }`;

export interface PipelineBenchmarkOptions {
  /** The run's own database and vhost (and the vhost's name, for rabbitmqctl). */
  databaseUrl: string;
  rabbitmqUrl: string;
  vhost: string;
  /** Settings every process gets besides ports, database, broker and SMTP (secrets, NODE_ENV…). */
  settings: Record<string, string>;
  durationSeconds: number;
  rates: readonly number[];
  /** Anything that makes the figures less comparable. */
  notes: string[];
  run: ToolRun;
  say(line: string): void;
}

async function registerCustomers(api: GatewayClient): Promise<Actor[]> {
  const people = Array.from({ length: CUSTOMERS }, () => {
    const tag = randomUUID().slice(0, 8);
    return {
      email: `bench-pipeline-${tag}@example.com`,
      password: `Bench-pw-${randomUUID()}`,
      name: `Pipeline customer ${tag}`,
      timeZone: 'Europe/Paris',
    };
  });
  const customers: Actor[] = [];
  for (let start = 0; start < people.length; start += SETUP_PARALLELISM) {
    const batch = people.slice(start, start + SETUP_PARALLELISM);
    customers.push(
      ...(await Promise.all(
        batch.map(async (person) => {
          const { register } = await api.call<{
            register: { accessToken: string; user: { id: string } };
          }>(REGISTER, { input: person });
          return { ...person, id: register.user.id, token: register.accessToken };
        }),
      )),
    );
  }
  return customers;
}

export async function runPipelineBenchmark(
  options: PipelineBenchmarkOptions,
): Promise<PipelineReport> {
  const { run, say, databaseUrl, rabbitmqUrl } = options;
  const { signal, cleanups } = run;

  // A public and a management port per process, and one for SMTP.
  const free = await freePorts(2 * ALL_PROCESSES.length + 1);
  const mail = await PipelineMailSink.start(free.pop()!);
  // Pushed before the services, so it closes after they have stopped sending.
  cleanups.push({ what: 'close the SMTP server', run: () => mail.close() });
  const ports = stackPorts(() => free.pop()!);
  const env = stackEnvironment(ports, {
    ...managementEnvironment(() => free.pop()!),
    ...options.settings,
    DATABASE_URL: databaseUrl,
    RABBITMQ_URL: rabbitmqUrl,
    SMTP_URL: mail.url,
    // The machine the benchmark shares may be busy: a slow start is not worth a failed run.
    STARTUP_TIMEOUT_MS: '120000',
  });
  const stack = new PipelineStack({ env, ports, run, say });
  say(`starting the services on ports ${[...ports.values()].join(', ')} (SMTP ${mail.url})`);
  await unlessAborted(stack.start(), signal);

  const db = await PipelineDatabase.open(databaseUrl);
  cleanups.push({ what: 'close the database session', run: () => db.close() });
  const api = new GatewayClient(`http://127.0.0.1:${ports.get('gateway')}/graphql`, signal);

  say(`setting up: ${CUSTOMERS} customers`);
  const customers = await registerCustomers(api);
  const phases = new PipelinePhases({
    api,
    db,
    mail,
    stack,
    customers,
    rabbitmqUrl,
    vhost: options.vhost,
    signal,
    say,
  });
  const deadline = Date.now() + SETUP_TIMEOUT_MS;
  while ((await db.reachableRecipients(customers.map((c) => c.id))) < customers.length) {
    if (Date.now() > deadline) {
      throw new Error('the notification service never heard of the customers');
    }
    await sleep(100, undefined, { signal });
  }
  const settle = async (before: string) => {
    const busy = await phases.settle();
    if (busy) options.notes.push(`before ${before}, the platform was ${busy}`);
  };
  await settle('the first rate');

  const rates: RateFigures[] = [];
  for (const rate of options.rates) {
    const figures = await phases.atRate(rate, options.durationSeconds * 1000);
    rates.push(figures);
    const incomplete = Object.values(figures.stages).some((s) => s.reached < s.expected);
    if (incomplete) {
      options.notes.push(
        `${rate}/s left events behind; the higher rates were not run, as they would start from its backlog`,
      );
      break;
    }
    await settle('the next rate');
  }

  say(`backlog: ${BACKLOG} ticket.created for the stopped consumers`);
  const drain = await phases.drainBacklog(BACKLOG);
  await settle('the relay comparison');
  say(`relay: ${BACKLOG} outbox rows, then a plain confirm loop`);
  const relay = await phases.relayVersusRaw(BACKLOG);

  stack.markSucceeded();
  return {
    machine: machineFacts(),
    settings: {
      durationSeconds: options.durationSeconds,
      rates: [...options.rates],
      maxInFlight: MAX_IN_FLIGHT,
      backlog: BACKLOG,
      nodeEnv: env.NODE_ENV ?? 'development',
      logLevel: env.LOG_LEVEL ?? 'info',
    },
    rates,
    highestSustainedRate: highestSustainedRate(
      rates.map((phase) => ({ rate: phase.rate, grew: phase.grew })),
    ),
    drain,
    relay,
    notes: options.notes,
  };
}
