import { SUBSCRIPTIONS } from '@servicedesk/contracts';
import { DEFAULT_CONSUMER_OPTIONS } from './options';
import { delayLevels, planTopology, platformQueues } from './topology-plan';

const options = {
  maxAttempts: 3,
  retry: { baseMs: 1000, maxMs: 4000, jitter: 0.2 },
  deliveryLimit: 7,
};

describe('planTopology', () => {
  const plan = planTopology({ 'shop.orders': ['user.registered', 'user.erased'] }, options);
  const byName = new Map(plan.map((queue) => [queue.name, queue]));

  it('derives the DLQ and the delay queues of each work queue, each declared before what dead-letters to it', () => {
    expect(plan.map((queue) => [queue.name, queue.role])).toEqual([
      ['shop.orders.dlq', 'dead-letter'],
      ['shop.orders', 'work'],
      ['shop.orders.retry.1', 'delay'],
      ['shop.orders.retry.2', 'delay'],
      ['shop.orders.retry.3', 'delay'],
    ]);
    expect(plan.every((queue) => queue.workQueue === 'shop.orders')).toBe(true);
  });

  it('makes every queue a quorum queue', () => {
    for (const queue of plan) expect(queue.arguments['x-queue-type']).toBe('quorum');
  });

  it('binds the work queue to its events and parks what exceeds the delivery limit in the DLQ', () => {
    expect(byName.get('shop.orders')).toMatchObject({
      bindings: ['user.registered', 'user.erased'],
      arguments: {
        'x-delivery-limit': 7,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'shop.orders.dlq',
        'x-dead-letter-strategy': 'at-least-once',
      },
    });
  });

  it('sends expired messages of the delay queues back to the work queue, at least once', () => {
    expect(byName.get('shop.orders.retry.2')).toMatchObject({
      bindings: [],
      arguments: {
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'shop.orders',
        'x-dead-letter-strategy': 'at-least-once',
      },
    });
    expect(byName.get('shop.orders.dlq')?.arguments).toEqual({ 'x-queue-type': 'quorum' });
  });
});

describe('delayLevels', () => {
  it('is one per retry when the backoff reaches its maximum sooner', () => {
    expect(delayLevels({ maxAttempts: 8, retry: { baseMs: 1000, maxMs: 2000, jitter: 0 } })).toBe(
      7,
    );
  });

  it('is enough for the backoff to reach its maximum when retries are few', () => {
    // 1 s, 2 s, 4 s, 8 s: the fourth delay reaches 8 s.
    expect(delayLevels({ maxAttempts: 2, retry: { baseMs: 1000, maxMs: 8000, jitter: 0 } })).toBe(
      4,
    );
  });
});

describe('platformQueues', () => {
  it('lists every work queue of the registry with its DLQ and delay queues', () => {
    const queues = platformQueues();
    const levels = delayLevels(DEFAULT_CONSUMER_OPTIONS);
    for (const workQueue of Object.keys(SUBSCRIPTIONS)) {
      const own = queues.filter((queue) => queue.workQueue === workQueue);
      expect(own.map((queue) => queue.role).sort()).toEqual(
        ['dead-letter', 'work', ...Array<string>(levels).fill('delay')].sort(),
      );
    }
    expect(queues).toHaveLength(Object.keys(SUBSCRIPTIONS).length * (levels + 2));
  });
});
