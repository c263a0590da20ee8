import { ChannelModel, ConfirmChannel, GetMessage, Options, connect } from 'amqplib';
import { redactUrl } from '@servicedesk/platform';
import { publishConfirmed } from './amqp-messages';
import { EVENTS_EXCHANGE } from './topology';
import { TopologyConflictError, declareQueue, declareTopology } from './topology-declaration';
import { PlannedQueue, TopologyOptions, platformQueues } from './topology-plan';
import { describeError } from './errors';

/**
 * Brings the broker to the planned topology without losing a message: a queue declared with
 * other arguments (a classic queue from before quorum queues, a changed delivery limit) is
 * emptied, deleted, redeclared and refilled. Run by `npm run migrate` with the consumers stopped.
 */

export interface MigratedQueue {
  queue: string;
  /** Messages moved out of it (and, through a temporary queue, back in). */
  moved: number;
}

/** Messages fetched before their copies' confirms are awaited together. */
const MOVE_BATCH = 200;
/** Times a queue that filled again between emptying and deleting it is emptied once more. */
const DELETE_ATTEMPTS = 20;
/** Set by quorum queues on redeliveries; meaningless once the message is in another queue. */
const DELIVERY_COUNT_HEADER = 'x-delivery-count';

/** Where a queue's messages wait while it is deleted and redeclared. */
export function migrationQueueName(queue: string): string {
  return `${queue}.migrating`;
}

/**
 * Migrates every planned queue that needs it, finishes a migration a crash interrupted, then
 * declares the whole topology. Per work queue, the DLQ goes first, then the delay queues
 * (emptied into the work queue, which still exists), then the work queue itself.
 */
export async function migrateTopology(
  connection: ChannelModel,
  queues: readonly PlannedQueue[],
  say: (line: string) => void = () => undefined,
): Promise<MigratedQueue[]> {
  await withChannel(connection, (channel) => declareTopology(channel, []));
  const migrated: MigratedQueue[] = [];
  const order = { 'dead-letter': 0, delay: 1, work: 2 } as const;
  const workQueues = [...new Set(queues.map((queue) => queue.workQueue))];
  for (const workQueue of workQueues) {
    const group = queues.filter((queue) => queue.workQueue === workQueue);
    for (const queue of group.sort((a, b) => order[a.role] - order[b.role])) {
      const result = await migrateQueue(connection, queue);
      if (result) {
        say(`${queue.name}: redeclared as planned, ${result.moved} message(s) kept`);
        migrated.push(result);
      }
    }
  }
  await withChannel(connection, (channel) => declareTopology(channel, queues));
  return migrated;
}

/** `npm run migrate`'s broker part: the platform's topology on the broker at `url`, migrated where needed. */
export async function migratePlatformTopology(
  url: string,
  options: TopologyOptions,
  say: (line: string) => void = () => undefined,
): Promise<MigratedQueue[]> {
  let connection: ChannelModel;
  try {
    connection = await connect(url, {
      clientProperties: { connection_name: 'servicedesk migrate' },
    });
  } catch (error) {
    throw new Error(`RabbitMQ is not reachable at ${redactUrl(url)} (${describeError(error)})`, {
      cause: error,
    });
  }
  connection.on('error', () => undefined);
  try {
    return await migrateTopology(connection, platformQueues(options), say);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Whether `queue` exists with other arguments than planned (declaring it when it is missing). */
export async function conflictsWithPlan(
  connection: ChannelModel,
  queue: PlannedQueue,
): Promise<boolean> {
  try {
    await withChannel(connection, (channel) => declareQueue(channel, queue));
    return false;
  } catch (error) {
    if (error instanceof TopologyConflictError) return true;
    throw error;
  }
}

async function migrateQueue(
  connection: ChannelModel,
  queue: PlannedQueue,
): Promise<MigratedQueue | null> {
  const temporary = migrationQueueName(queue.name);
  if (await conflictsWithPlan(connection, queue)) {
    // The work queue's consumers are what publishes to its delay queues and DLQ.
    await requireNoConsumers(connection, queue.workQueue);
    if (queue.role === 'delay') {
      // Its messages go back to the work queue early: a retry sooner than planned, never a loss.
      const moved = await emptyAndDelete(connection, queue.name, queue.workQueue);
      await withChannel(connection, (channel) => declareQueue(channel, queue));
      return { queue: queue.name, moved };
    }
    // Bound like the queue, the temporary queue also receives what is published meanwhile
    // (a duplicate of what the queue gets until it is deleted, which inboxes absorb).
    await withChannel(connection, (channel) =>
      declareQueue(channel, { ...queue, name: temporary, arguments: { 'x-queue-type': 'quorum' } }),
    );
    await unbind(connection, queue.name, queue.bindings);
    const moved = await emptyAndDelete(connection, queue.name, temporary);
    await withChannel(connection, (channel) => declareQueue(channel, queue));
    await refill(connection, queue, temporary);
    return { queue: queue.name, moved };
  }
  if (queue.role !== 'delay' && (await exists(connection, temporary))) {
    // A migration stopped after the queue was redeclared: its messages are still aside.
    return { queue: queue.name, moved: await refill(connection, queue, temporary) };
  }
  return null;
}

/**
 * Moves every message of `queue` to `target`, then deletes `queue` once it is seen empty.
 * Nothing routes to it any more by then (unbound, its consumers stopped: they alone publish
 * to delay queues and DLQs); quorum queues refuse the if-empty delete that would guard it.
 */
async function emptyAndDelete(
  connection: ChannelModel,
  queue: string,
  target: string,
): Promise<number> {
  let moved = 0;
  for (let attempt = 1; attempt <= DELETE_ATTEMPTS; attempt++) {
    moved += await moveMessages(connection, queue, target);
    const { messageCount } = await withChannel(connection, (channel) => channel.checkQueue(queue));
    if (messageCount === 0) {
      await withChannel(connection, (channel) => channel.deleteQueue(queue));
      return moved;
    }
  }
  throw new Error(`${queue} keeps receiving messages; stop what publishes to it and migrate again`);
}

/** Stops the temporary queue's copies, moves its messages into `queue`, and deletes it. */
async function refill(
  connection: ChannelModel,
  queue: PlannedQueue,
  temporary: string,
): Promise<number> {
  await unbind(connection, temporary, queue.bindings);
  return emptyAndDelete(connection, temporary, queue.name);
}

/**
 * Moves every message of `from` to `to`, each acknowledged on `from` only after the broker
 * confirmed its copy in `to` (a crash in between leaves a duplicate, never a gap).
 */
async function moveMessages(connection: ChannelModel, from: string, to: string): Promise<number> {
  return withChannel(connection, async (channel) => {
    let moved = 0;
    for (;;) {
      const batch: GetMessage[] = [];
      while (batch.length < MOVE_BATCH) {
        const message = await channel.get(from, { noAck: false });
        if (!message) break;
        batch.push(message);
      }
      if (batch.length === 0) return moved;
      await Promise.all(
        batch.map((message) =>
          publishConfirmed(channel, '', to, message.content, verbatimProperties(message)),
        ),
      );
      channel.ack(batch[batch.length - 1], true);
      moved += batch.length;
    }
  });
}

/** The message as it was published, minus what would change its fate in the new queue. */
function verbatimProperties(message: GetMessage): Options.Publish {
  const { expiration: _expiration, headers = {}, ...properties } = message.properties;
  const { [DELIVERY_COUNT_HEADER]: _count, ...kept } = headers as Record<string, unknown>;
  const defined = Object.fromEntries(
    Object.entries(properties).filter(([, value]) => value !== undefined),
  );
  return { ...defined, headers: kept };
}

async function unbind(
  connection: ChannelModel,
  queue: string,
  routingKeys: readonly string[],
): Promise<void> {
  await withChannel(connection, async (channel) => {
    for (const key of routingKeys) await channel.unbindQueue(queue, EVENTS_EXCHANGE, key);
  });
}

async function exists(connection: ChannelModel, queue: string): Promise<boolean> {
  try {
    await withChannel(connection, (channel) => channel.checkQueue(queue));
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 404) return false;
    throw error;
  }
}

/** Moving messages from under a consumer could race its acks: the operator stops it first. */
async function requireNoConsumers(connection: ChannelModel, queue: string): Promise<void> {
  const { consumerCount } = await withChannel(connection, (channel) => channel.checkQueue(queue));
  if (consumerCount > 0) {
    throw new Error(
      `${queue} has ${consumerCount} consumer(s): stop the services consuming it, then migrate again`,
    );
  }
}

/** A confirm channel for one step: a refused operation closes the channel it ran on. */
async function withChannel<T>(
  connection: ChannelModel,
  work: (channel: ConfirmChannel) => Promise<T>,
): Promise<T> {
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}
