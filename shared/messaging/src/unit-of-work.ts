import { AsyncLocalStorage } from 'node:async_hooks';
import DataLoader from 'dataloader';
import { DataSource, EntityManager } from 'typeorm';
import { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { EventEnvelope, EventType } from '@servicedesk/contracts';
import { currentContext, quoteIdentifier } from '@servicedesk/platform';
import { NewEvent, buildEnvelope } from './envelope';
import { messageTraceHeaders } from './trace-context';

/** A database transaction in progress, the only place where events can be emitted. */
export interface Tx {
  /** TypeORM manager bound to the transaction: every read and write of the work goes through it. */
  readonly manager: EntityManager;
  /**
   * Validates the event against its contract and writes it to the outbox in this
   * transaction: it is published if, and only if, the transaction commits. Throws
   * `ContractViolationError` for an invalid payload (which rolls the transaction back).
   *
   * Emits issued together (`await Promise.all(events.map((e) => tx.emit(e)))`) are written
   * in one statement, in the order of the calls, which is the order they are published in.
   * Each resolves once its row is written; its correlation id, actor and trace headers are
   * those of its own caller's context at the call.
   */
  emit<T extends EventType>(event: NewEvent<T>): Promise<EventEnvelope<T>>;
  /**
   * Deletes the outbox rows of one aggregate that are already published (they are kept a
   * while for operators only), so personal data they carry does not outlive an erasure.
   * Rows not yet published stay: they are still to be delivered. Returns how many went.
   */
  forgetPublishedEvents(aggregateType: string, aggregateId: string): Promise<number>;
}

export interface UnitOfWorkOptions {
  /** Name of the service, the `source` of every envelope. */
  source: string;
  /** The service's schema, which holds its outbox. */
  schema: string;
}

/** One outbox row as its emit built it, in the context of its call. */
interface OutboxWrite {
  envelope: EventEnvelope;
  headers: Record<string, string>;
}

class TransactionScope implements Tx {
  private done = false;
  /**
   * Collects the emits of one tick into one multi-row INSERT, in call order (DataLoader
   * keeps the order of its loads; no cache: every emit is a row of its own).
   */
  private readonly outbox = new DataLoader<OutboxWrite, void>(
    (writes) => this.insertOutboxRows(writes),
    { cache: false },
  );
  /** Outbox writes not yet settled: the work ends only once they are. */
  private readonly writes = new Set<Promise<void>>();

  constructor(
    readonly manager: EntityManager,
    private readonly options: UnitOfWorkOptions,
  ) {}

  async emit<T extends EventType>(event: NewEvent<T>): Promise<EventEnvelope<T>> {
    if (this.done) {
      throw new Error(`cannot emit ${event.type}: its unit of work has already finished`);
    }
    const envelope = buildEnvelope(event, {
      source: this.options.source,
      context: currentContext(),
    });
    const written = this.outbox.load({ envelope, headers: messageTraceHeaders() });
    this.writes.add(written);
    try {
      await written;
    } finally {
      this.writes.delete(written);
    }
    return envelope;
  }

  private async insertOutboxRows(writes: readonly OutboxWrite[]): Promise<void[]> {
    // Rows are numbered (seq) in the order the SELECT yields them: the order of the calls.
    await this.manager.query(
      `INSERT INTO ${quoteIdentifier(this.options.schema)}.outbox
         (id, aggregate_type, aggregate_id, event_type, envelope, headers)
       SELECT (w->'envelope'->>'id')::uuid, w->'envelope'->>'aggregateType',
              w->'envelope'->>'aggregateId', w->'envelope'->>'type', w->'envelope', w->'headers'
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS rows (w, n)
        ORDER BY n`,
      [JSON.stringify(writes)],
    );
    return writes.map(() => undefined);
  }

  async forgetPublishedEvents(aggregateType: string, aggregateId: string): Promise<number> {
    const [, deleted] = (await this.manager.query(
      `DELETE FROM ${quoteIdentifier(this.options.schema)}.outbox
        WHERE aggregate_type = $1 AND aggregate_id = $2 AND status = 'PUBLISHED'`,
      [aggregateType, aggregateId],
    )) as [unknown[], number];
    return deleted;
  }

  /** True once the work of its `run` has returned or thrown (its transaction is over or ending). */
  get finished(): boolean {
    return this.done;
  }

  /**
   * Refuses further emits and waits for the writes in flight, so that none reaches the
   * connection after the transaction's COMMIT or ROLLBACK (an emit the work did not await
   * still lands in its transaction). Rejects with the first failed write: its transaction
   * is aborted and cannot commit.
   */
  async finish(): Promise<void> {
    this.done = true;
    const settled = await Promise.allSettled(this.writes);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Runs a piece of work in one database transaction and gives it the only handle that can
 * emit events, so an event cannot be saved without the state change it describes (and the
 * relay is woken by the outbox trigger when the transaction commits).
 *
 * A `run` inside another `run` of the same unit of work joins the outer transaction, so
 * service methods compose without opening a second connection that would wait on the first.
 * Only while the outer work is still running, though: async work started inside a `run` that
 * calls `run` after it has finished (a fire-and-forget task, a timer) gets its own
 * transaction instead of joining one that has already committed or rolled back.
 * `{ separate: true }` asks for a transaction of its own even inside another `run`: it
 * commits on its own (e.g. a delivery attempt recorded before the outer work fails) and
 * takes a second connection from the pool while the outer one is held.
 */
export class UnitOfWork {
  private readonly active = new AsyncLocalStorage<TransactionScope>();

  constructor(
    readonly dataSource: DataSource,
    readonly options: UnitOfWorkOptions,
  ) {}

  async run<T>(
    work: (tx: Tx) => Promise<T>,
    options: { isolation?: IsolationLevel; separate?: boolean } = {},
  ): Promise<T> {
    const outer = this.active.getStore();
    if (outer && !outer.finished && !options.separate) return work(outer);
    const transaction = (manager: EntityManager) => {
      const scope = new TransactionScope(manager, this.options);
      return this.active.run(scope, async () => {
        let result: T;
        try {
          result = await work(scope);
        } catch (error) {
          // The work's own error is the one to report; its writes are still waited for.
          await scope.finish().catch(() => undefined);
          throw error;
        }
        await scope.finish();
        return result;
      });
    };
    return options.isolation
      ? this.dataSource.transaction(options.isolation, transaction)
      : this.dataSource.transaction(transaction);
  }
}
