import { SpanStatusCode } from '@opentelemetry/api';
import { ChannelModel, ConfirmChannel } from 'amqplib';
import { ClientConfig } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import {
  Logger,
  applicationName,
  inSpan,
  injectTraceHeaders,
  quoteIdentifier,
  untraced,
} from '@servicedesk/platform';
import { ConfirmTimeoutError, UnroutableError, publishConfirmed } from './amqp-messages';
import { backoffDelayMs } from './backoff';
import { BrokerConnection } from './broker-connection';
import { describeError } from './errors';
import { MessagingMetrics } from './metrics';
import { OutboxListener } from './outbox-listener';
import { RelayOptions } from './options';
import { outboxBacklog } from './outbox-operations';
import { EVENTS_EXCHANGE, Headers, outboxChannel } from './topology';
import { TopologyConflictError, declareTopology } from './topology-declaration';
import { PlannedQueue } from './topology-plan';

export interface OutboxRelayDependencies {
  dataSource: DataSource;
  service: string;
  schema: string;
  rabbitmqUrl: string;
  logger: Logger;
  metrics: MessagingMetrics;
  options: RelayOptions;
  /** Every queue of the platform, declared on each connection before anything is published. */
  topology: readonly PlannedQueue[];
}

interface OutboxRow {
  id: string;
  seq: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  envelope: { correlationId?: string; occurredAt?: string } & Record<string, unknown>;
  headers: Record<string, string>;
  attempts: number;
}

/** What became of one row this round. `lost` = the broker went away: not the row's fault. */
type PublishOutcome =
  { kind: 'published' } | { kind: 'refused'; error: string } | { kind: 'lost'; error: string };

/**
 * Publishes a service's outbox to RabbitMQ.
 *
 * Replicas: every round is one database transaction that first takes a transaction-scoped
 * advisory lock on the service's schema (`pg_try_advisory_xact_lock`), so one relay of the
 * service publishes at a time and the others skip the round (they are woken by the same
 * NOTIFYs and the holder drains until the outbox is empty, so nothing waits for them). A
 * single publisher per service is what keeps the order per aggregate across replicas
 * (`FOR UPDATE SKIP LOCKED` would let two relays publish consecutive rows of one aggregate
 * concurrently); the lock is released by COMMIT or by the death of the session, so a
 * crashed relay never blocks the others.
 *
 * Order: rows are read by `seq`; the rows of one aggregate are published one at a time, each
 * after the previous one's confirm, and the first failure stops that aggregate for the round
 * (and until its retry is due). Different aggregates are published in parallel. A row parked
 * as FAILED holds back every later row of its aggregate until an operator retries it (`outbox
 * retry-failed`, or the service's retry…FailedOutbox mutation; visible as failed > 0 in `outbox
 * status` and the `outbox_failed` gauge): they are then published after it, in order.
 *
 * Delivery: a row is marked PUBLISHED only in the same transaction, after its confirm arrived
 * and it was not returned as unroutable (`mandatory`). If the process dies in between, the
 * rows are still PENDING and are published again: consumers deduplicate by their inbox. A
 * refusal by the broker (returned, nacked) costs the row an attempt and reschedules it with
 * backoff, and after `maxAttempts` parks it as FAILED for an operator; a lost connection
 * costs nothing: the rows wait, the connection is re-established, and they are published.
 *
 * Topology: on every connection, before its first publish, the relay declares the whole
 * platform's queues and bindings, not only its own service's: an event is then never routed
 * while a queue that should receive it is missing (its consumer not started yet), so services
 * may start in any order. A queue found with other arguments (a classic queue from an older
 * version) stops the start with `TopologyConflictError`: it needs `npm run migrate`.
 *
 * Cost: a wake-up costs one round (and, only when rows were postponed, a query for when the
 * first of them is due). The backlog gauges are computed by the metrics scrape, not here.
 */
export class OutboxRelay {
  private readonly broker: BrokerConnection;
  private channel: ConfirmChannel | null = null;
  private readonly table: string;
  private listener: OutboxListener | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;
  private wanted = false;
  private draining: Promise<void> | undefined;
  private stopped = true;
  private lastCleanupAt = 0;
  /**
   * Whether rows may be postponed to a time the due timer does not know of: some were
   * rescheduled, or the timer fired (there may be more after the one it was set for).
   */
  private dueUnknown = true;
  /** Set while the broker holds a queue this version cannot declare. */
  private topologyConflict: TopologyConflictError | undefined;

  constructor(private readonly deps: OutboxRelayDependencies) {
    this.table = `${quoteIdentifier(deps.schema)}.outbox`;
    deps.metrics.observeOutbox(() => outboxBacklog(deps.dataSource, deps.schema), deps.logger);
    this.broker = new BrokerConnection({
      url: deps.rabbitmqUrl,
      name: `${deps.service} outbox relay`,
      logger: deps.logger,
      reconnect: deps.options.reconnect,
      setup: (model) => this.openChannel(model),
      onDisconnect: () => {
        this.channel = null;
      },
    });
  }

  get brokerConnected(): boolean {
    return this.broker.connected && this.channel !== null;
  }

  get brokerStatus(): string {
    return this.broker.status;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.dueUnknown = true;
    this.listener = new OutboxListener({
      connection: listenerConnection(this.deps.dataSource, this.deps.service),
      channel: outboxChannel(this.deps.schema),
      logger: this.deps.logger,
      reconnect: this.deps.options.reconnect,
      onWake: () => this.wake(),
    });
    await Promise.all([this.broker.start(), this.listener.start()]);
    const conflict = this.topologyConflict;
    if (conflict) {
      // Retrying cannot help: the service refuses to start and says what to run.
      await this.stop();
      throw conflict;
    }
    this.pollTimer = setInterval(() => this.wake(), this.deps.options.pollIntervalMs);
    this.wake();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.dueTimer);
    await this.draining;
    await Promise.all([this.listener?.stop(), this.broker.stop()]);
    this.channel = null;
  }

  /** Asks for a drain; several calls while one runs collapse into one more pass. */
  wake(): void {
    if (this.stopped) return;
    this.wanted = true;
    // Each row is published in the trace it was written in; the relay's own rounds are in none.
    this.draining ??= untraced(() => this.drain()).finally(() => {
      this.draining = undefined;
      if (this.wanted && !this.stopped) this.wake();
    });
  }

  /** Resolves when the current drain (if any) has finished; for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      try {
        for (;;) {
          const { read, full, brokerLost } = await this.round();
          if (brokerLost || !full || read === 0 || this.stopped) break;
        }
        await this.deleteOldPublishedRows();
        await this.scheduleDue();
      } catch (error) {
        // Database trouble: the next poll (or notification) tries again.
        this.deps.logger.error(
          { err: error, schema: this.deps.schema },
          'outbox relay round failed',
        );
      }
    }
  }

  /** One batch, in one transaction under the service's relay lock. */
  private async round(): Promise<{ read: number; full: boolean; brokerLost: boolean }> {
    const channel = this.channel;
    if (!channel) return { read: 0, full: false, brokerLost: true };
    const runner = this.deps.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [{ locked }] = await runner.query(
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
        [RELAY_LOCK_CLASS, this.deps.schema],
      );
      if (!locked) {
        await runner.commitTransaction();
        return { read: 0, full: false, brokerLost: false };
      }
      const rows = await this.readBatch(runner);
      const outcomes = await this.publishAll(channel, rows);
      const published = rows.filter((row) => outcomes.get(row.id)?.kind === 'published');
      if (published.length > 0)
        await this.deps.options.onPublished?.(published.map((row) => row.id));
      await this.record(runner, rows, outcomes);
      await runner.commitTransaction();
      for (const row of published) this.deps.metrics.published.inc({ type: row.event_type });
      const brokerLost = [...outcomes.values()].some((outcome) => outcome.kind === 'lost');
      if (brokerLost)
        void this.broker.reset('publishing failed: connection lost or confirm timed out');
      return { read: rows.length, full: rows.length === this.deps.options.batchSize, brokerLost };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Due PENDING rows by seq, leaving out every row that has an earlier row of its aggregate
   * still waiting for its retry or parked as FAILED: those must not overtake it.
   */
  private readBatch(runner: QueryRunner): Promise<OutboxRow[]> {
    return runner.query(
      `SELECT o.id, o.seq, o.aggregate_type, o.aggregate_id, o.event_type, o.envelope, o.headers, o.attempts
         FROM ${this.table} o
        WHERE o.status = 'PENDING'
          AND o.next_attempt_at <= now()
          AND NOT EXISTS (
                SELECT 1 FROM ${this.table} p
                 WHERE p.aggregate_type = o.aggregate_type
                   AND p.aggregate_id = o.aggregate_id
                   AND p.seq < o.seq
                   AND (p.status = 'FAILED' OR (p.status = 'PENDING' AND p.next_attempt_at > now())))
        ORDER BY o.seq
        LIMIT $1`,
      [this.deps.options.batchSize],
    );
  }

  private async publishAll(
    channel: ConfirmChannel,
    rows: OutboxRow[],
  ): Promise<Map<string, PublishOutcome>> {
    const outcomes = new Map<string, PublishOutcome>();
    const byAggregate = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = `${row.aggregate_type}\u0000${row.aggregate_id}`;
      const group = byAggregate.get(key);
      if (group) group.push(row);
      else byAggregate.set(key, [row]);
    }
    await Promise.all(
      [...byAggregate.values()].map(async (group) => {
        for (const row of group) {
          const outcome = await this.publish(channel, row);
          outcomes.set(row.id, outcome);
          if (outcome.kind !== 'published') return;
        }
      }),
    );
    return outcomes;
  }

  /** A `publish` span in the trace of the request that wrote the row; consumers continue it. */
  private publish(channel: ConfirmChannel, row: OutboxRow): Promise<PublishOutcome> {
    return inSpan(
      `publish ${row.event_type}`,
      {
        kind: 'producer',
        parentHeaders: row.headers,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': EVENTS_EXCHANGE,
          'messaging.rabbitmq.destination.routing_key': row.event_type,
          'messaging.message.id': row.id,
        },
      },
      async (span) => {
        const outcome = await this.publishRow(channel, row);
        if (outcome.kind !== 'published')
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
        return outcome;
      },
    );
  }

  private async publishRow(channel: ConfirmChannel, row: OutboxRow): Promise<PublishOutcome> {
    const occurredAt = Date.parse(String(row.envelope.occurredAt));
    const correlationId = String(row.envelope.correlationId ?? '');
    try {
      await publishConfirmed(
        channel,
        EVENTS_EXCHANGE,
        row.event_type,
        Buffer.from(JSON.stringify(row.envelope)),
        {
          persistent: true,
          messageId: row.id,
          type: row.event_type,
          contentType: 'application/json',
          timestamp: Math.floor((Number.isNaN(occurredAt) ? Date.now() : occurredAt) / 1000),
          appId: this.deps.service,
          // The publish span's context when tracing runs (consumers become its children).
          headers: {
            ...row.headers,
            ...injectTraceHeaders(),
            [Headers.correlationId]: correlationId,
          },
        },
        this.deps.options.confirmTimeoutMs,
      );
    } catch (error) {
      if (error instanceof UnroutableError) {
        return {
          kind: 'refused',
          error: `unroutable: no queue is bound to ${EVENTS_EXCHANGE} for ${row.event_type}`,
        };
      }
      // A nack on a channel that is still ours is the broker refusing the message; anything
      // else (silence, a closed channel) is the connection going away.
      if (
        error instanceof ConfirmTimeoutError ||
        this.channel !== channel ||
        /closed/i.test(describeError(error))
      ) {
        return { kind: 'lost', error: describeError(error) };
      }
      return { kind: 'refused', error: `broker refused the message: ${describeError(error)}` };
    }
    this.deps.logger.debug(
      { eventId: row.id, eventType: row.event_type, correlationId },
      'event published',
    );
    return { kind: 'published' };
  }

  private async record(
    runner: QueryRunner,
    rows: OutboxRow[],
    outcomes: Map<string, PublishOutcome>,
  ): Promise<void> {
    const published = rows
      .filter((row) => outcomes.get(row.id)?.kind === 'published')
      .map((row) => row.id);
    if (published.length > 0) {
      await runner.query(
        `UPDATE ${this.table}
            SET status = 'PUBLISHED', published_at = now(), attempts = attempts + 1, last_error = NULL
          WHERE id = ANY($1::uuid[])`,
        [published],
      );
    }
    const { maxAttempts, retry } = this.deps.options;
    for (const row of rows) {
      const outcome = outcomes.get(row.id);
      if (outcome?.kind !== 'refused') continue;
      const attempts = row.attempts + 1;
      const parked = attempts >= maxAttempts;
      if (!parked) this.dueUnknown = true;
      await runner.query(
        `UPDATE ${this.table}
            SET attempts = $2, last_error = $3, status = $4,
                next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
          WHERE id = $1`,
        [
          row.id,
          attempts,
          outcome.error,
          parked ? 'FAILED' : 'PENDING',
          parked ? 0 : backoffDelayMs(attempts, retry),
        ],
      );
      const log = {
        eventId: row.id,
        eventType: row.event_type,
        correlationId: row.envelope.correlationId,
        attempts,
      };
      if (parked)
        this.deps.logger.error(
          { ...log, error: outcome.error },
          'outbox row parked as FAILED after too many attempts',
        );
      else
        this.deps.logger.warn({ ...log, error: outcome.error }, 'event not published; will retry');
    }
  }

  /**
   * Wakes the relay when the earliest postponed row is due (at the latest after a poll
   * interval). Asks the database only when that time may have changed: a round postponed
   * rows, or the previous due time has passed; otherwise the timer set then still holds.
   */
  private async scheduleDue(): Promise<void> {
    if (!this.dueUnknown) return;
    const [{ next_ms: nextMs }]: Array<{ next_ms: number | null }> =
      await this.deps.dataSource.query(
        `SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS next_ms
           FROM ${this.table} WHERE status = 'PENDING' AND next_attempt_at > now()`,
      );
    this.dueUnknown = false;
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
    if (nextMs === null || this.stopped) return;
    const delay = Math.min(Math.max(Math.ceil(nextMs), 0), this.deps.options.pollIntervalMs);
    this.dueTimer = setTimeout(() => {
      this.dueTimer = undefined;
      this.dueUnknown = true;
      this.wake();
    }, delay);
  }

  /**
   * Published rows are only history (and the audit service keeps that); they are deleted
   * after `publishedRetentionMs`, in bounded batches, at most once per CLEANUP_INTERVAL_MS.
   */
  private async deleteOldPublishedRows(): Promise<void> {
    if (Date.now() - this.lastCleanupAt < CLEANUP_INTERVAL_MS) return;
    this.lastCleanupAt = Date.now();
    await this.deps.dataSource.query(
      `DELETE FROM ${this.table} WHERE id IN (
         SELECT id FROM ${this.table}
          WHERE status = 'PUBLISHED'
            AND published_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT $2)`,
      [this.deps.options.publishedRetentionMs, CLEANUP_BATCH],
    );
  }

  private async openChannel(model: ChannelModel): Promise<void> {
    await this.declareTopology(model);
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) =>
      this.deps.logger.warn({ err: error }, 'relay channel error'),
    );
    channel.once('close', () => {
      if (this.channel !== channel) return;
      this.channel = null;
      void this.broker.reset('relay channel closed');
    });
    this.channel = channel;
    // Rows written while the broker was away are waiting.
    setImmediate(() => this.wake());
  }

  /** On a channel of its own: a conflict closes the channel it happens on. */
  private async declareTopology(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    // The failure is the rejected declaration below; the channel's error event repeats it.
    channel.on('error', () => undefined);
    try {
      await declareTopology(channel, this.deps.topology);
      this.topologyConflict = undefined;
    } catch (error) {
      if (error instanceof TopologyConflictError) {
        this.topologyConflict = error;
        this.deps.logger.error({ queue: error.queue }, error.message);
      }
      throw error;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}

const CLEANUP_INTERVAL_MS = 60 * 60_000;
const CLEANUP_BATCH = 10_000;

/** First key of the relay's advisory lock; the second is the hash of the schema. */
const RELAY_LOCK_CLASS = 0x5d0b;

/** The LISTEN session's settings: the DataSource's server, named after the service in pg_stat_activity. */
function listenerConnection(dataSource: DataSource, service: string): ClientConfig {
  const options = dataSource.options as PostgresConnectionOptions;
  return {
    connectionString: options.url,
    host: options.host,
    port: options.port,
    user: options.username,
    password: typeof options.password === 'string' ? options.password : undefined,
    database: options.database,
    application_name: applicationName(service, 'listener'),
    // The session mostly sits idle waiting for notifications: without keepalives a peer that
    // vanished (a failover, a dropped NAT entry) would go unnoticed and wake-ups would be lost.
    keepAlive: true,
  };
}
