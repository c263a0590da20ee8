import { ChannelModel, ConfirmChannel } from 'amqplib';
import { ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { Logger, applicationName, inRound, untraced } from '@servicedesk/platform';
import { BrokerConnection } from './broker-connection';
import { MessagingMetrics } from './metrics';
import { OutboxListener } from './outbox-listener';
import { RelayOptions } from './options';
import { outboxBacklog } from './outbox-operations';
import { RelayPass } from './outbox-relay-pass';
import { LEASE_SESSION_SETUP, OutboxRelayRows } from './outbox-relay-rows';
import { outboxChannel } from './topology';
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

/**
 * Publishes a service's outbox to RabbitMQ.
 *
 * Replicas: a relay publishes only while it holds the service's publishing lease, a
 * session-level advisory lock (`pg_try_advisory_lock` on the schema) held by its LISTEN
 * session, so one relay of the service publishes at a time; the others skip the pass (they
 * are woken by the same NOTIFYs and the holder drains until the outbox is empty, so nothing
 * waits for them). A single publisher per service is what keeps the order per aggregate
 * across replicas (`FOR UPDATE SKIP LOCKED` would let two relays publish consecutive rows of
 * one aggregate concurrently). The lease is given up after each pass and goes with the
 * session, so a crashed relay never blocks the others. Fencing: when the session is lost the
 * relay stops publishing at once; it reads and reschedules rows on that session only, so a
 * relay without the lock reads and reschedules nothing; what it had in flight is published
 * again by the next holder (at least once, consumers deduplicate).
 *
 * Pipeline: no transaction is open while messages are published. A pass reads the next batch
 * and publishes it while the previous batches' confirms are pending, and marks the confirmed
 * rows PUBLISHED in short statements, in order (see `RelayPass`).
 *
 * Order: rows are read by `seq`; the rows of one aggregate are published one at a time, each
 * after the previous one's confirm, and the first failure stops that aggregate for the pass
 * (and until its retry is due). Different aggregates are published in parallel. A row parked
 * as FAILED holds back every later row of its aggregate until an operator retries it (`outbox
 * retry-failed`, or the service's retry…FailedOutbox mutation; visible as failed > 0 in `outbox
 * status` and the `outbox_failed` gauge): they are then published after it, in order.
 *
 * Delivery: a row is marked PUBLISHED only after its confirm arrived and it was not returned
 * as unroutable (`mandatory`). If the process dies in between, the rows are still PENDING and
 * are published again: consumers deduplicate by their inbox. A refusal by the broker
 * (returned, nacked) costs the row an attempt and reschedules it with backoff, and after
 * `maxAttempts` parks it as FAILED for an operator; a lost connection costs nothing: the rows
 * wait, the connection is re-established, and they are published.
 *
 * Topology: on every connection, before its first publish, the relay declares the whole
 * platform's queues and bindings, not only its own service's: an event is then never routed
 * while a queue that should receive it is missing (its consumer not started yet), so services
 * may start in any order. A queue found with other arguments (a classic queue from an older
 * version) stops the start with `TopologyConflictError`: it needs `npm run migrate`.
 *
 * Cost: a wake-up costs one pass: taking and giving up the lease, one read per batch and one
 * update per batch (and, only when rows were postponed, a query for when the first of them is
 * due). The backlog gauges are computed by the metrics scrape, not here.
 */
export class OutboxRelay {
  private readonly broker: BrokerConnection;
  private channel: ConfirmChannel | null = null;
  private readonly rows: OutboxRelayRows;
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
    this.rows = new OutboxRelayRows(deps.dataSource, deps.schema);
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
      lease: { classId: RELAY_LOCK_CLASS, key: this.deps.schema },
      setup: LEASE_SESSION_SETUP,
      onLeaseLost: () =>
        this.deps.logger.warn(
          { schema: this.deps.schema },
          'outbox relay lost its lease with its database session; publishing stops',
        ),
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
    // Each row is published in the trace it was written in; the relay's own passes are in none.
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
        await this.publishPass();
        await this.deleteOldPublishedRows();
        await this.scheduleDue();
      } catch (error) {
        // Database trouble: the next poll (or notification) tries again.
        this.deps.logger.error(
          { err: error, schema: this.deps.schema },
          'outbox relay pass failed',
        );
      }
    }
  }

  /**
   * One pass over the outbox under the publishing lease (skipped when another replica holds
   * it: it drains until the outbox is empty and is woken by the same NOTIFYs). The lease is
   * given up after the pass, so that a replica whose broker is unreachable never holds it.
   */
  private async publishPass(): Promise<void> {
    const channel = this.channel;
    const listener = this.listener;
    if (!channel || !listener) return;
    const lease = await listener.acquireLease();
    if (!lease) return;
    try {
      const { rescheduled } = await new RelayPass({
        rows: this.rows,
        publisher: {
          channel,
          service: this.deps.service,
          logger: this.deps.logger,
          confirmTimeoutMs: this.deps.options.confirmTimeoutMs,
          channelIsCurrent: () => this.channel === channel,
        },
        session: listener.session(lease),
        logger: this.deps.logger,
        metrics: this.deps.metrics,
        options: this.deps.options,
        mayPublish: () => !this.stopped && listener.heldLease === lease,
        onBrokerLost: (reason) => void this.broker.reset(reason),
      }).run();
      if (rescheduled) this.dueUnknown = true;
    } finally {
      await listener.releaseLease();
    }
  }

  /**
   * Wakes the relay when the earliest postponed row is due (at the latest after a poll
   * interval). Asks the database only when that time may have changed: a pass postponed
   * rows, or the previous due time has passed; otherwise the timer set then still holds.
   */
  private async scheduleDue(): Promise<void> {
    if (!this.dueUnknown) return;
    const nextMs = await this.rows.nextDueInMs();
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
    // A trace of its own when it deletes something.
    await inRound('outbox cleanup', () =>
      this.rows.deletePublishedBefore(this.deps.options.publishedRetentionMs, CLEANUP_BATCH),
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

/** First key of the relay's publishing lease (an advisory lock); the second is the hash of the schema. */
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
