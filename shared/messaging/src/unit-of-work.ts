import { AsyncLocalStorage } from 'node:async_hooks';
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

class TransactionScope implements Tx {
  private done = false;

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
    await this.manager.query(
      `INSERT INTO ${quoteIdentifier(this.options.schema)}.outbox
         (id, aggregate_type, aggregate_id, event_type, envelope, headers)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        envelope.id,
        envelope.aggregateType,
        envelope.aggregateId,
        envelope.type,
        JSON.stringify(envelope),
        JSON.stringify(messageTraceHeaders()),
      ],
    );
    return envelope;
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

  finish(): void {
    this.done = true;
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
        try {
          return await work(scope);
        } finally {
          scope.finish();
        }
      });
    };
    return options.isolation
      ? this.dataSource.transaction(options.isolation, transaction)
      : this.dataSource.transaction(transaction);
  }
}
