import { ChannelModel } from 'amqplib';
import { consumingServiceOf } from '@servicedesk/contracts';
import {
  SqlRunner,
  deadLetterQueues,
  messagingSchemas,
  outboxStatus,
  peekDeadLetters,
  platformQueues,
  replayDeadLetters,
  retryFailedOutbox,
  workQueueOf,
} from '@servicedesk/messaging';
import { OpsCommand } from './ops-arguments';
import { clip, formatAge, renderTable } from './ops-output';
import { SUBGRAPH_PROCESSES } from './processes';

/** What the commands run against; the CLI connects to each lazily, on first use. */
export interface OpsEnvironment {
  db: SqlRunner;
  broker(): Promise<ChannelModel>;
}

export interface OpsResult {
  /** What `--json` prints. */
  data: unknown;
  /** What a person reads. */
  text: string;
}

/** A problem the operator can fix (unknown service, missing queue); printed without a stack. */
export class OpsError extends Error {}

/** The services whose schema holds an outbox; one of them when `service` is given (checked). */
async function servicesOf(env: OpsEnvironment, service?: string): Promise<string[]> {
  const all = await messagingSchemas(env.db);
  if (service === undefined) return all;
  if (!all.includes(service)) {
    throw new OpsError(
      `no service "${service}" in this database (services with an outbox: ${all.join(', ') || 'none — run the migrations first'})`,
    );
  }
  return [service];
}

async function outboxStatusCommand(env: OpsEnvironment, service?: string): Promise<OpsResult> {
  const services = await servicesOf(env, service);
  // One database connection: the services are asked one after the other.
  const rows = [];
  for (const name of services) rows.push({ service: name, ...(await outboxStatus(env.db, name)) });
  const data = rows.map(({ nextAttemptInMs: _next, ...row }) => row);
  const table = renderTable(
    ['SERVICE', 'PENDING', 'FAILED', 'PUBLISHED', 'OLDEST PENDING'],
    rows.map((row) => [
      row.service,
      row.pending,
      row.failed,
      row.published,
      formatAge(row.oldestPendingAgeSeconds),
    ]),
  );
  const hints = rows
    .filter((row) => row.failed > 0)
    .map(
      (row) =>
        `${row.service}: ${row.failed} parked event(s); retry with: npm run ops -- outbox retry-failed --service ${row.service}`,
    );
  return { data, text: [table, ...hints].join('\n') };
}

async function retryFailedCommand(env: OpsEnvironment, service: string): Promise<OpsResult> {
  await servicesOf(env, service);
  const retried = await retryFailedOutbox(env.db, service);
  return {
    data: { service, retried },
    text: `${service}: ${retried} parked event(s) put back in the outbox`,
  };
}

/**
 * The platform's work queues, from its registry of subscriptions: also those of a service that
 * never started. Those `service` consumes, when given (checked).
 */
function queuesBy(service?: string): Array<{ service: string; queue: string }> {
  const services = SUBGRAPH_PROCESSES.map((spec) => spec.name);
  if (service !== undefined && !services.includes(service)) {
    throw new OpsError(`no service "${service}" (services: ${services.join(', ')})`);
  }
  return platformQueues()
    .filter((planned) => planned.role === 'work')
    .map((planned) => ({ service: consumingServiceOf(planned.name), queue: planned.name }))
    .filter((queue) => service === undefined || queue.service === service);
}

async function dlqListCommand(env: OpsEnvironment, service?: string): Promise<OpsResult> {
  const queues = queuesBy(service);
  const infos =
    queues.length === 0
      ? []
      : await deadLetterQueues(
          await env.broker(),
          queues.map((q) => q.queue),
        );
  const data = infos.map((info, i) => ({ service: queues[i].service, ...info }));
  const table = renderTable(
    ['SERVICE', 'QUEUE', 'DEAD-LETTER QUEUE', 'MESSAGES'],
    data.map((row) => [
      row.service,
      row.queue,
      row.deadLetterQueue,
      row.exists ? row.messageCount : 'not declared',
    ]),
  );
  return { data, text: table };
}

async function requireDeadLetterQueue(connection: ChannelModel, queue: string): Promise<string> {
  const [info] = await deadLetterQueues(connection, [queue]);
  if (!info.exists)
    throw new OpsError(`there is no queue ${info.deadLetterQueue} (see: npm run ops -- dlq list)`);
  return workQueueOf(queue);
}

async function dlqShowCommand(
  env: OpsEnvironment,
  queue: string,
  limit: number,
): Promise<OpsResult> {
  const connection = await env.broker();
  const workQueue = await requireDeadLetterQueue(connection, queue);
  const letters = await peekDeadLetters(connection, workQueue, limit);
  const table = renderTable(
    ['MESSAGE ID', 'ROUTING KEY', 'ATTEMPTS', 'FAILED AT', 'ERROR'],
    letters.map((l) => [l.messageId, l.routingKey, l.attempts, l.failedAt, clip(l.error)]),
  );
  return { data: letters, text: `${workQueue}.dlq (oldest first, left in place):\n${table}` };
}

async function dlqReplayCommand(
  env: OpsEnvironment,
  queue: string,
  limit: number,
): Promise<OpsResult> {
  const connection = await env.broker();
  const workQueue = await requireDeadLetterQueue(connection, queue);
  const result = await replayDeadLetters(connection, workQueue, limit);
  return {
    data: result,
    text: `${result.replayed} message(s) moved from ${workQueue}.dlq back to ${workQueue}`,
  };
}

export function runOpsCommand(
  command: Exclude<OpsCommand, { kind: 'help' }>,
  env: OpsEnvironment,
): Promise<OpsResult> {
  switch (command.kind) {
    case 'outbox-status':
      return outboxStatusCommand(env, command.service);
    case 'outbox-retry-failed':
      return retryFailedCommand(env, command.service);
    case 'dlq-list':
      return dlqListCommand(env, command.service);
    case 'dlq-show':
      return dlqShowCommand(env, command.queue, command.limit);
    case 'dlq-replay':
      return dlqReplayCommand(env, command.queue, command.limit);
  }
}
