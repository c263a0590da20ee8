import { Channel } from 'amqplib';
import { describeError } from './errors';
import { EVENTS_EXCHANGE } from './topology';
import { PlannedQueue } from './topology-plan';

/** Declares planned queues on the broker, and tells a queue that must be migrated first. */

/** AMQP reply code PRECONDITION_FAILED: the queue exists with other arguments (it closes the channel). */
const PRECONDITION_FAILED = 406;

export function isPreconditionFailed(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === PRECONDITION_FAILED;
}

/**
 * A queue exists with other arguments than this version declares: typically a classic queue
 * from before quorum queues, or a changed delivery limit. Redeclaring it is impossible, and
 * deleting it would lose its messages, so it waits for `npm run migrate`.
 */
export class TopologyConflictError extends Error {
  constructor(
    readonly queue: string,
    cause: unknown,
  ) {
    super(
      `queue ${queue} exists with other arguments than this version declares ` +
        `(${describeError(cause)}); stop the consumers and run \`npm run migrate\`, ` +
        'which moves its messages into the queue as declared now',
      { cause },
    );
    this.name = 'TopologyConflictError';
  }
}

/** Declares one queue and binds it; throws `TopologyConflictError` (the channel is then closed). */
export async function declareQueue(channel: Channel, queue: PlannedQueue): Promise<void> {
  try {
    await channel.assertQueue(queue.name, { durable: true, arguments: { ...queue.arguments } });
  } catch (error) {
    if (isPreconditionFailed(error)) throw new TopologyConflictError(queue.name, error);
    throw error;
  }
  for (const key of queue.bindings) await channel.bindQueue(queue.name, EVENTS_EXCHANGE, key);
}

/** Declares the events exchange and every planned queue with its bindings (idempotent). */
export async function declareTopology(
  channel: Channel,
  queues: readonly PlannedQueue[],
): Promise<void> {
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  for (const queue of queues) await declareQueue(channel, queue);
}
