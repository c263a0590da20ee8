import { Type } from '@nestjs/common';
import { EventEnvelope, EventType, PlatformQueue } from '@servicedesk/contracts';
import { Tx } from './unit-of-work';

/**
 * Reacts to one or more event types. `handle` runs in the same transaction as the inbox
 * record of the message, so its effect happens exactly once; it may `tx.emit` events.
 * Throw `PermanentError` for a message that can never succeed (it is parked at once);
 * anything else is retried with backoff.
 */
export interface EventHandler<T extends EventType = EventType> {
  handle(event: EventEnvelope<T>, tx: Tx, delivery: Delivery): Promise<void>;
  /**
   * Effects outside the database (an email sent), run once the inbox transaction has
   * committed, so none is held open while they take their time. Runs on every delivery,
   * an inbox duplicate included (a retry, a replay, a redelivery after a crash), so it
   * finishes what an earlier delivery left undone and must be idempotent. Its failures
   * are treated as the handler's: retried through the delay queues, or parked.
   */
  afterCommit?(event: EventEnvelope<T>, delivery: Delivery): Promise<void>;
}

/**
 * Which delivery of a message a handler is running: a handler with effects outside the
 * database (an email sent) uses it to record a final failure before the message is parked.
 */
export interface Delivery {
  /** 1 for the first delivery, counting only failed handler runs (not database outages). */
  attempt: number;
  maxAttempts: number;
  /** True when a transient failure now would park the message instead of retrying it. */
  finalAttempt: boolean;
  /**
   * Runs `work` in this message's trace and correlation context: its spans are children of
   * the message's `process <type>` span, its log lines carry the message's correlation id, and
   * the events it emits (`tx.emit`) carry the message's trace headers. A handler working for
   * a message inside its own `handle` or `afterCommit` is in that context already; one that
   * works for many messages at once (`handleBatch`, `afterCommitBatch`) runs each message's
   * share of the work through its delivery's `within`, so each lands in its own request's trace.
   */
  within<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * A handler that can apply many events in one transaction (the audit log appends a whole
 * batch under one chain lock with multi-row statements). The consumer collects up to its
 * batch size of messages (or what arrived within the batch wait), writes their inbox rows in
 * one statement, passes the events that were not duplicates here in delivery order, commits,
 * and acks the batch only after the commit and the batch's after-commit work. If
 * `handleBatch` throws, nothing of the batch is committed and the consumer falls back to
 * `handle` (and `afterCommit`) for each message on its own, so one bad message is classified,
 * retried or parked alone while the others still go through.
 *
 * The next batch of the queue may be handed over and committed while this one's after-commit
 * work is still under way; after-commit work runs batch after batch, in delivery order.
 */
export interface BatchEventHandler<T extends EventType = EventType> extends EventHandler<T> {
  handleBatch(
    events: readonly EventEnvelope<T>[],
    tx: Tx,
    deliveries: readonly Delivery[],
  ): Promise<void>;
  /**
   * The after-commit work of a whole committed batch at once (emails of many events sharing
   * their SMTP connections), instead of `afterCommit` for each message in turn. Gets every
   * message of the batch, inbox duplicates included (`afterCommit`'s rules apply: it runs on
   * every delivery and must be idempotent), and resolves with one entry per event: `undefined`
   * when its work is done, else the error its message fails with (retried through the delay
   * queues, or parked, as a failing `afterCommit`). Each event's share of the work should run
   * through its delivery's `within`. Throwing fails every message of the batch.
   */
  afterCommitBatch?(
    events: readonly EventEnvelope<T>[],
    deliveries: readonly Delivery[],
  ): Promise<ReadonlyArray<Error | undefined>>;
}

export function isBatchEventHandler(handler: EventHandler): handler is BatchEventHandler {
  return typeof (handler as Partial<BatchEventHandler>).handleBatch === 'function';
}

/** A work queue, the event types routed to it, and what handles them. */
export interface Subscription {
  /** `<service>.<purpose>`, e.g. `ticket.user-directory`; its delay queues and DLQ are derived from it. */
  queue: string;
  /** Event types (routing keys) bound to the queue. */
  events: readonly EventType[];
  handler: EventHandler;
}

/**
 * A subscription as a service declares it to `MessagingModule.forService`: one of its queues
 * in the subscription registry (which says what is bound to it) and the handler, a Nest
 * provider class (declared in its feature module), resolved when the app starts.
 */
export interface SubscriptionDeclaration<Q extends string = PlatformQueue> {
  queue: Q;
  handler: Type<EventHandler>;
}
