import type { EventEnvelope } from '@servicedesk/contracts';
import type { Delivery } from '@servicedesk/messaging';

/** A batch not asked for this long after its transaction was it rolled back: forgotten. */
const FORGOTTEN_AFTER_MS = 10 * 60_000;

/** Messages whose effects one transaction committed together (`handleBatch`). */
export class CommittedBatch<T> {
  private result?: Promise<T>;

  constructor(
    readonly events: readonly EventEnvelope[],
    readonly deliveries: readonly Delivery[],
    readonly addedAt: number,
  ) {}

  /** Runs `work` once for the whole batch, for whichever of its messages asks first. */
  once(work: (batch: CommittedBatch<T>) => Promise<T>): Promise<T> {
    this.result ??= work(this);
    return this.result;
  }
}

/**
 * The batches whose messages' `afterCommit` is still to come, by event id. The consumer calls
 * `afterCommit` for each message of a committed batch, one after the other; the emails of the
 * whole batch go out on the first call, together (see `NotificationEventsHandler`), and every
 * call then reports its own message's failures. A message handled alone (its batch rolled
 * back, a redelivery) finds nothing here and sends its own emails.
 */
export class CommittedBatches<T> {
  private readonly byEvent = new Map<string, CommittedBatch<T>>();

  /** Remembers a batch whose transaction is about to commit. */
  add(events: readonly EventEnvelope[], deliveries: readonly Delivery[]): void {
    const now = performance.now();
    for (const [id, batch] of this.byEvent) {
      if (now - batch.addedAt > FORGOTTEN_AFTER_MS) this.byEvent.delete(id);
    }
    const batch = new CommittedBatch<T>(events, deliveries, now);
    for (const event of events) this.byEvent.set(event.id, batch);
  }

  /** The batch `eventId` was committed in, if any; each delivery asks once, so it is taken out. */
  take(eventId: string): CommittedBatch<T> | undefined {
    const batch = this.byEvent.get(eventId);
    this.byEvent.delete(eventId);
    return batch;
  }
}
