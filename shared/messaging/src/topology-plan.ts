import { SUBSCRIPTIONS, SubscriptionRegistry } from '@servicedesk/contracts';
import { backoffLevels } from './backoff';
import { ConsumerOptions, DEFAULT_CONSUMER_OPTIONS } from './options';
import { deadLetterQueueName, retryQueueName } from './topology';

/**
 * The broker topology a subscription registry stands for, as data: every queue with its
 * arguments and bindings. Declaring, checking and migrating all work from this one plan.
 */

/** The consumer options the topology depends on; every process declaring it must agree on them. */
export type TopologyOptions = Pick<ConsumerOptions, 'maxAttempts' | 'retry' | 'deliveryLimit'>;

export type QueueRole = 'work' | 'delay' | 'dead-letter';

export interface PlannedQueue {
  name: string;
  role: QueueRole;
  /** The work queue it belongs to (itself for a work queue). */
  workQueue: string;
  /** The `x-…` arguments it is declared with (besides `durable`). */
  arguments: Readonly<Record<string, string | number>>;
  /** Routing keys bound to it on the events exchange (work queues only). */
  bindings: readonly string[];
}

/**
 * Delay queues per work queue: one per retry, and enough for the backoff to reach
 * `retry.maxMs` (the consumer keeps delaying by that much while the database is away).
 */
export function delayLevels(options: Pick<TopologyOptions, 'maxAttempts' | 'retry'>): number {
  return Math.max(options.maxAttempts - 1, backoffLevels(options.retry));
}

/**
 * Quorum queues, replicated on a cluster. Dead-lettering (a delay queue's expired message
 * going back to its work queue, a work queue's message over the delivery limit going to the
 * DLQ) is at-least-once: the broker keeps the message until the target queue has it, where the
 * default would drop it if that queue were missing or down for a moment. That strategy needs
 * `reject-publish` overflow (no length limit is set, so nothing is ever rejected for it).
 */
const QUORUM = { 'x-queue-type': 'quorum' } as const;
const DEAD_LETTER_AT_LEAST_ONCE = {
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
} as const;

/**
 * Per work queue: its DLQ, the work queue bound to its events, then its delay queues, in an
 * order in which everything a queue dead-letters to is declared before it.
 */
export function planTopology(
  registry: SubscriptionRegistry,
  options: TopologyOptions,
): PlannedQueue[] {
  return Object.entries(registry).flatMap(([queue, events]): PlannedQueue[] => {
    const dlq = deadLetterQueueName(queue);
    const delays = Array.from({ length: delayLevels(options) }, (_, i) => ({
      name: retryQueueName(queue, i + 1),
      role: 'delay' as const,
      workQueue: queue,
      arguments: {
        ...QUORUM,
        ...DEAD_LETTER_AT_LEAST_ONCE,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      },
      bindings: [],
    }));
    return [
      { name: dlq, role: 'dead-letter', workQueue: queue, arguments: QUORUM, bindings: [] },
      {
        name: queue,
        role: 'work',
        workQueue: queue,
        arguments: {
          ...QUORUM,
          ...DEAD_LETTER_AT_LEAST_ONCE,
          'x-delivery-limit': options.deliveryLimit,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': dlq,
        },
        bindings: [...events],
      },
      ...delays,
    ];
  });
}

/**
 * Every queue of the platform (work queues, their delay queues and DLQs) as the services
 * declare them with `options` (the consumer defaults unless given), e.g. for tools that
 * inspect or drain the broker.
 */
export function platformQueues(
  options: TopologyOptions = DEFAULT_CONSUMER_OPTIONS,
): PlannedQueue[] {
  return planTopology(SUBSCRIPTIONS, options);
}
