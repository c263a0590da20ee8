import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { TcpProxy, anEvent, eventPublisher } from '@servicedesk/testing';
import type { ScenarioName } from './chaos-arguments';
import type { InjectedPoison } from './chaos-snapshot-types';
import { ChaosSupervisor } from './chaos-supervisor';
import { GATEWAY_PROCESS, SUBGRAPH_PROCESSES } from './processes';

/**
 * The faults the suite injects, one scenario at a time, while the workload runs: what each
 * does to the running stack, how long the fault is held, and how it is healed.
 */

const run = promisify(execFile);

/** A fault held this long is one every retry and reconnect path has to live through. */
const HOLD_MS = 10_000;
/** A killed process comes back after this moment, as an orchestrator would restart it. */
const RESTART_AFTER_MS = 2_000;
/** After a process came back, the workload keeps running against it this long. */
const AFTER_RESTART_MS = 5_000;
const BROKER_BACK_TIMEOUT_MS = 60_000;

/** Each service's PostgreSQL and RabbitMQ connections go through a proxy of their own. */
export interface ServiceFaults {
  database: TcpProxy;
  broker: TcpProxy;
}

export interface ScenarioContext {
  supervisor: ChaosSupervisor;
  faults: ReadonlyMap<string, ServiceFaults>;
  /** A port nobody uses, for a second replica. */
  sparePort: number;
  /** The run's vhost, its AMQP URL straight to the broker (for publishing poison). */
  rabbitmqUrl: string;
  signal: AbortSignal;
  say(line: string): void;
}

export interface Scenario extends ScenarioName {
  /** Injects the fault; returns the poison messages it published, if any. */
  inject(context: ScenarioContext): Promise<InjectedPoison[] | void>;
  /** Heals the fault (nothing to heal for a kill: the process is back already). */
  heal?(context: ScenarioContext): Promise<void>;
}

const pause = (ms: number, { signal }: ScenarioContext) => sleep(ms, undefined, { signal });

async function killAndRestart(context: ScenarioContext, instance: string): Promise<void> {
  const { spec, port } = context.supervisor.startedAs(instance);
  await context.supervisor.kill(instance);
  await pause(RESTART_AFTER_MS, context);
  await context.supervisor.start(spec, port, instance);
  await pause(AFTER_RESTART_MS, context);
}

function killScenario(name: string, profile: ScenarioName['profile']): Scenario {
  return {
    name: `kill-${name}`,
    profile,
    summary: `kill -9 of ${name}, restarted ${RESTART_AFTER_MS / 1000} s later`,
    inject: (context) => killAndRestart(context, name),
  };
}

function allFaults(context: ScenarioContext, act: (faults: ServiceFaults) => void): void {
  for (const faults of context.faults.values()) act(faults);
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', ['-q', ...args], { timeout: BROKER_BACK_TIMEOUT_MS });
}

/**
 * Published straight into the exchange: bytes that are not JSON, JSON that is not an
 * envelope, and an envelope whose payload breaks its contract. Each must be parked in the DLQ
 * of every queue bound to its routing key, and harm nothing else.
 */
async function publishPoison(context: ScenarioContext): Promise<InjectedPoison[]> {
  const commented = anEvent('ticket.commented');
  const broken = { ...commented, payload: { ...commented.payload, ticketId: 'not-a-ticket' } };
  const poison: Array<{ routingKey: string; body: string; messageId: string }> = [
    { routingKey: 'ticket.created', body: '{"id": "truncated', messageId: randomUUID() },
    { routingKey: 'user.registered', body: '{"hello": "world"}', messageId: randomUUID() },
    { routingKey: 'ticket.commented', body: JSON.stringify(broken), messageId: broken.id },
  ];
  const publisher = await eventPublisher(context.rabbitmqUrl);
  try {
    for (const { routingKey, body, messageId } of poison) {
      await publisher.publishRaw(routingKey, Buffer.from(body), { messageId });
    }
  } finally {
    await publisher.close();
  }
  return poison.map(({ routingKey, messageId }) => ({ routingKey, messageId }));
}

/** Every scenario but the cold start, which the suite runs itself when it starts the stack. */
export const SCENARIOS: readonly Scenario[] = [
  killScenario('notification', 'short'),
  killScenario('ticket', 'short'),
  ...SUBGRAPH_PROCESSES.filter((s) => !['notification', 'ticket'].includes(s.name)).map((s) =>
    killScenario(s.name, 'full'),
  ),
  killScenario(GATEWAY_PROCESS.name, 'full'),
  {
    name: 'database-cut',
    profile: 'short',
    summary: `every service's PostgreSQL connections cut for ${HOLD_MS / 1000} s`,
    async inject(context) {
      allFaults(context, (faults) => faults.database.cut());
      await pause(HOLD_MS, context);
    },
    async heal(context) {
      allFaults(context, (faults) => faults.database.restore());
    },
  },
  {
    name: 'broker-cut',
    profile: 'short',
    summary: `every service's RabbitMQ connections cut for ${HOLD_MS / 1000} s`,
    async inject(context) {
      allFaults(context, (faults) => faults.broker.cut());
      await pause(HOLD_MS, context);
    },
    async heal(context) {
      allFaults(context, (faults) => faults.broker.restore());
    },
  },
  {
    name: 'slow-database',
    profile: 'full',
    summary: `200 ms added to every PostgreSQL chunk, both ways, for ${HOLD_MS / 1000} s`,
    async inject(context) {
      allFaults(context, (faults) => faults.database.delay(200));
      await pause(HOLD_MS, context);
    },
    async heal(context) {
      allFaults(context, (faults) => faults.database.restore());
    },
  },
  {
    name: 'ticket-replicas',
    profile: 'full',
    summary: 'a second ticket replica started, then the first killed -9 under load and restarted',
    async inject(context) {
      const { spec } = context.supervisor.startedAs('ticket');
      await context.supervisor.start(spec, context.sparePort, 'ticket-2');
      await pause(AFTER_RESTART_MS, context);
      await killAndRestart(context, 'ticket');
    },
    async heal(context) {
      await context.supervisor.stop('ticket-2');
    },
  },
  {
    name: 'poison',
    profile: 'short',
    summary: 'malformed and unhandleable events published into the exchange',
    async inject(context) {
      const poison = await publishPoison(context);
      await pause(AFTER_RESTART_MS, context);
      return poison;
    },
  },
  {
    name: 'rabbitmq-restart',
    profile: 'full',
    summary: `rabbitmqctl stop_app, start_app ${HOLD_MS / 1000} s later (every vhost of the broker)`,
    async inject(context) {
      context.say('stopping the RabbitMQ application: every vhost on this broker is affected');
      await rabbitmqctl('stop_app');
      try {
        await pause(HOLD_MS, context);
      } catch (error) {
        // Interrupted: the broker is shared, never leave it stopped.
        await rabbitmqctl('start_app');
        throw error;
      }
    },
    async heal() {
      await rabbitmqctl('start_app');
      await rabbitmqctl('await_startup');
    },
  },
];

export const COLD_START: ScenarioName = {
  name: 'cold-start',
  profile: 'short',
  summary: 'fresh database and vhost; user and ticket start before audit and notification',
};

/** Every scenario the command line knows, in the order they run. */
export const SCENARIO_NAMES: readonly ScenarioName[] = [
  COLD_START,
  ...SCENARIOS.map(({ name, profile, summary }) => ({ name, profile, summary })),
];
