import { EventType, SubscriptionRegistry, consumingServiceOf } from '@servicedesk/contracts';

/** Checks a service's subscriptions against the registry and gives them their events from it. */

/**
 * The service's subscriptions, each with the events the registry binds to its queue. Throws
 * when they disagree: a queue missing from the registry (nothing would declare it), one of
 * another service, one subscribed twice, or one of this service's registry queues without a
 * handler (its messages would pile up unconsumed).
 */
export function subscriptionsFromRegistry<H>(
  service: string,
  registry: SubscriptionRegistry,
  declarations: ReadonlyArray<{ queue: string; handler: H }>,
): Array<{ queue: string; events: readonly EventType[]; handler: H }> {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { queue } of declarations) {
    if (seen.has(queue)) problems.push(`${queue} is subscribed twice`);
    seen.add(queue);
    if (!Object.hasOwn(registry, queue)) {
      problems.push(`${queue} is not in the subscription registry`);
    } else if (consumingServiceOf(queue) !== service) {
      problems.push(`${queue} is a queue of the ${consumingServiceOf(queue)} service`);
    }
  }
  for (const queue of Object.keys(registry)) {
    if (consumingServiceOf(queue) === service && !seen.has(queue)) {
      problems.push(`${queue} is in the subscription registry but has no handler`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `the ${service} service's subscriptions disagree with the registry ` +
        `(@servicedesk/contracts SUBSCRIPTIONS): ${problems.join('; ')}`,
    );
  }
  return declarations.map(({ queue, handler }) => ({ queue, events: registry[queue], handler }));
}
