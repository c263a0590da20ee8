// One drain of a service's outbox under the relay's lease: batches are read, published and
// recorded in a pipeline, the order of each aggregate kept.
import { Logger } from '@servicedesk/platform';
import { backoffDelayMs } from './backoff';
import { MessagingMetrics } from './metrics';
import { RelayOptions } from './options';
import { LeaseLostError, LeaseSession } from './outbox-listener';
import { PublishOutcome, RowPublisher, publishOutboxRow } from './outbox-relay-publish';
import { FIRST_SEQ, OutboxRelayRows, OutboxRow } from './outbox-relay-rows';

/**
 * Rows published and not yet recorded, in batches of the configured size: enough to keep the
 * broker busy while the next rows are read and earlier confirms are recorded.
 */
const PIPELINE_BATCHES = 8;

/**
 * A backlog is read up to this many batches at a time: a read costs mostly its round trip.
 * Reads start at one batch and double while they come back full.
 */
const READ_AHEAD_BATCHES = 4;

const HELD: PublishOutcome = { kind: 'held' };

/** Rows read and published together; `settled` once every one has its outcome. */
interface Batch {
  rows: OutboxRow[];
  settling: Promise<PublishOutcome[]>;
  settled: PublishOutcome[] | undefined;
}

export interface RelayPassDependencies {
  rows: OutboxRelayRows;
  publisher: RowPublisher;
  /** The lease session: batches are read and refusals recorded under the lease. */
  session: LeaseSession;
  logger: Logger;
  metrics: MessagingMetrics;
  options: RelayOptions;
  /** False once the lease session is lost or the relay stops: nothing more is published. */
  mayPublish(): boolean;
  /** A publish found the connection gone or silent: the relay reconnects. */
  onBrokerLost(reason: string): void;
}

export interface PassResult {
  /** Some rows were postponed to a later attempt. */
  rescheduled: boolean;
}

/**
 * Reads batch k+1 (the rows after the last one read: under the lease no one else publishes
 * them) and publishes it while batch k's confirms are pending; records the batches in order,
 * each once all its rows are settled, together with the later ones settled by then (one
 * statement marks them all). No transaction is open while anything is published.
 *
 * Order per aggregate: a row is published only after the confirm of the previous row of its
 * aggregate in this pass, wherever that row was read; when that one was refused, lost or
 * held, the row is held (left PENDING, untouched) and so is every later row of the aggregate
 * in this pass. Held rows are read again by the next pass, which holds back the rows behind
 * a row parked or waiting for its retry (`blockers`). A row is therefore never published, nor
 * marked, ahead of an earlier row of its aggregate. Different aggregates go out without
 * waiting for each other.
 *
 * Stopping: a lost connection, a lost lease or the relay stopping halts the pass: nothing more
 * is published, what is in flight is settled and recorded, and the pass ends. Confirmed rows
 * are marked even after the lease is lost (they were published); refusals are recorded only
 * under the lease, so a relay that lost it never postpones or parks a row.
 */
export class RelayPass {
  /** The outcome of the last row published (or to be) of each aggregate. */
  private readonly tails = new Map<string, Promise<PublishOutcome>>();
  /** Aggregates with a row refused, lost or held in this pass: their later rows wait. */
  private readonly blocked = new Set<string>();
  /** Batches published and not yet recorded, in the order they were read. */
  private readonly unrecorded: Batch[] = [];
  private halted = false;
  private failure: { error: unknown } | undefined;
  private rescheduled = false;

  constructor(private readonly deps: RelayPassDependencies) {}

  async run(): Promise<PassResult> {
    const { batchSize } = this.deps.options;
    let cursor = FIRST_SEQ;
    let recorded: Promise<void> = Promise.resolve();
    /** Per batch read: resolves once it is recorded. */
    const recording: Array<Promise<void>> = [];
    try {
      const blockers = new Map<string, bigint>();
      for (const row of await this.deps.rows.blockers(this.deps.session))
        blockers.set(aggregateKey(row), BigInt(row.seq));
      /** Whether an earlier row of its aggregate is parked or waits for its retry. */
      const heldBack = (row: OutboxRow) => {
        const first = blockers.get(aggregateKey(row));
        return first !== undefined && first < BigInt(row.seq);
      };
      let readSize = batchSize;
      while (this.mayPublish()) {
        const rows = await this.deps.rows.readBatch(this.deps.session, cursor, readSize);
        if (rows.length === 0) break;
        cursor = rows[rows.length - 1].seq;
        const due = rows.filter((row) => row.due && !heldBack(row));
        if (due.length > 0) {
          const batch = this.publishBatch(due);
          recorded = recorded.then(() => this.recordThrough(batch));
          recording.push(recorded);
        }
        if (rows.length < readSize) break;
        readSize = Math.min(readSize * 2, batchSize * READ_AHEAD_BATCHES);
        while (recording.length > 0 && this.unrecordedRows() >= batchSize * PIPELINE_BATCHES)
          await recording.shift();
      }
    } catch (error) {
      if (error instanceof LeaseLostError) this.halt();
      else this.fail(error);
    }
    await recorded;
    if (this.failure) throw this.failure.error;
    return { rescheduled: this.rescheduled };
  }

  private unrecordedRows(): number {
    return this.unrecorded.reduce((sum, batch) => sum + batch.rows.length, 0);
  }

  private mayPublish(): boolean {
    return !this.halted && this.deps.mayPublish();
  }

  private halt(): void {
    this.halted = true;
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    this.halt();
  }

  private publishInOrder(row: OutboxRow): Promise<PublishOutcome> {
    const key = aggregateKey(row);
    const outcome = this.publishAfter(this.tails.get(key), key, row);
    this.tails.set(key, outcome);
    void outcome.then(() => {
      if (this.tails.get(key) === outcome) this.tails.delete(key);
    });
    return outcome;
  }

  /** Never rejects. Without a previous row in flight, publishes at once (synchronously). */
  private async publishAfter(
    previous: Promise<PublishOutcome> | undefined,
    key: string,
    row: OutboxRow,
  ): Promise<PublishOutcome> {
    if (previous) await previous;
    if (this.blocked.has(key) || !this.mayPublish()) {
      this.blocked.add(key);
      return HELD;
    }
    const outcome = await publishOutboxRow(this.deps.publisher, row);
    if (outcome.kind === 'published') return outcome;
    this.blocked.add(key);
    if (outcome.kind === 'lost' && !this.halted) {
      this.halt();
      this.deps.onBrokerLost(`publishing failed: ${outcome.error}`);
    }
    return outcome;
  }

  private publishBatch(rows: OutboxRow[]): Batch {
    const batch: Batch = { rows, settled: undefined, settling: Promise.resolve([]) };
    batch.settling = Promise.all(rows.map((row) => this.publishInOrder(row))).then((settled) => {
      batch.settled = settled;
      return settled;
    });
    this.unrecorded.push(batch);
    return batch;
  }

  /**
   * Records `batch` once all its rows are settled, with the batches after it that are settled
   * by then: one statement marks them all (one commit, where a commit costs a disk flush).
   * Called in the order the batches were read; never rejects (a failure halts the pass).
   */
  private async recordThrough(batch: Batch): Promise<void> {
    if (!this.unrecorded.includes(batch)) return;
    await batch.settling;
    const rows: OutboxRow[] = [];
    const outcomes: PublishOutcome[] = [];
    for (let next = this.unrecorded[0]; next?.settled; next = this.unrecorded[0]) {
      this.unrecorded.shift();
      rows.push(...next.rows);
      outcomes.push(...next.settled);
    }
    // After a failure the rows stay PENDING and are published again: consumers deduplicate.
    if (this.failure) return;
    try {
      const published = rows.filter((_, i) => outcomes[i].kind === 'published');
      if (published.length > 0) {
        const ids = published.map((row) => row.id);
        await this.deps.options.onPublished?.(ids);
        await this.deps.rows.markPublished(ids);
        for (const row of published) this.deps.metrics.published.inc({ type: row.event_type });
      }
      for (const [i, row] of rows.entries()) {
        const outcome = outcomes[i];
        if (outcome.kind === 'refused') await this.recordRefusal(row, outcome.error);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Costs the row an attempt: it is retried with backoff, or parked FAILED after the last. */
  private async recordRefusal(row: OutboxRow, error: string): Promise<void> {
    const { maxAttempts, retry } = this.deps.options;
    const attempts = row.attempts + 1;
    const parked = attempts >= maxAttempts;
    try {
      await this.deps.rows.recordRefusal(this.deps.session, {
        id: row.id,
        attempts,
        error,
        parked,
        delayMs: parked ? 0 : backoffDelayMs(attempts, retry),
      });
    } catch (failure) {
      // Without the lease: the next holder publishes the row again, at no cost to it.
      if (failure instanceof LeaseLostError) return;
      throw failure;
    }
    if (!parked) this.rescheduled = true;
    const log = {
      eventId: row.id,
      eventType: row.event_type,
      correlationId: row.correlation_id,
      attempts,
      error,
    };
    if (parked) this.deps.logger.error(log, 'outbox row parked as FAILED after too many attempts');
    else this.deps.logger.warn(log, 'event not published; will retry');
  }
}

function aggregateKey(row: Pick<OutboxRow, 'aggregate_type' | 'aggregate_id'>): string {
  return `${row.aggregate_type}\u0000${row.aggregate_id}`;
}
