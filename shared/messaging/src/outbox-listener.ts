import { Client, ClientConfig } from 'pg';
import { Logger, quoteIdentifier } from '@servicedesk/platform';
import { BackoffPolicy, backoffDelayMs } from './backoff';

/** A database that does not answer must not stall the relay's start (unless the caller sets its own). */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * A statement under the lease that has not answered by then finds the session presumed dead
 * (a peer gone without a word): it is dropped, and the lease with it.
 */
const LEASE_STATEMENT_TIMEOUT_MS = 30_000;

export interface OutboxListenerOptions {
  connection: ClientConfig;
  channel: string;
  logger: Logger;
  reconnect: BackoffPolicy;
  /** Called for every notification and after every (re)connection, when some may have been missed. */
  onWake(): void;
  /** The advisory lock this session holds while its relay publishes. */
  lease: LeaseKey;
  /** Called at once when the session is lost while it held the lease. */
  onLeaseLost(): void;
  /** Statements run on every new session (settings for the statements run under the lease). */
  setup: readonly string[];
}

/** A session-level advisory lock `(classId, hashtext(key))`. */
export interface LeaseKey {
  classId: number;
  key: string;
}

/** The lease as held by one session (`pid` is that session's backend, for operators). */
export interface Lease extends LeaseKey {
  pid: number;
}

/** A statement asked of a session that no longer holds the lease it was asked under. */
export class LeaseLostError extends Error {
  constructor() {
    super('the outbox relay no longer holds its lease');
    this.name = 'LeaseLostError';
  }
}

/** Statements on the lease session, resolving to their rows. */
export interface LeaseSession {
  query<T extends object>(sql: string, parameters?: unknown[]): Promise<T[]>;
}

/**
 * A dedicated PostgreSQL session LISTENing on the outbox channel (a pooled connection
 * cannot hold a LISTEN): the one connection a service opens outside its pool, counted in
 * its budget (`processConnections`). When the session drops it reconnects with backoff,
 * LISTENs again and wakes the relay, since notifications sent in between are lost.
 *
 * The same session holds the relay's publishing lease, a session-level advisory lock: no
 * transaction stays open while messages are published, and the lock goes with the session,
 * so a relay that crashed or lost its database connection never holds the others up. The
 * relay reads and reschedules rows on this session (`session(lease)`), so those statements
 * are fenced by the lease itself: they fail once the session, and with it the lock, is gone.
 */
export class OutboxListener {
  private client: Client | undefined;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private lease: Lease | undefined;

  /** The lease while this session holds it (as far as this process knows). */
  get heldLease(): Lease | undefined {
    return this.lease;
  }

  /** Takes the lease if no other session holds it; resolves to it, or undefined. */
  async acquireLease(): Promise<Lease | undefined> {
    if (this.lease) return this.lease;
    const client = this.client;
    if (!client) return undefined;
    const { classId, key } = this.options.lease;
    const { rows } = await client.query<{ locked: boolean; pid: number }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked, pg_backend_pid() AS pid',
      [classId, key],
    );
    // A session lost meanwhile took the lock with it.
    if (!rows[0].locked || this.client !== client) return undefined;
    this.lease = { classId, key, pid: rows[0].pid };
    return this.lease;
  }

  /** Runs statements on this session while it holds `lease`; else they reject with `LeaseLostError`. */
  session(lease: Lease): LeaseSession {
    return {
      query: async <T extends object>(sql: string, parameters?: unknown[]) => {
        const client = this.client;
        if (!client || this.lease !== lease) throw new LeaseLostError();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.onLost(client, new Error(`no answer in ${LEASE_STATEMENT_TIMEOUT_MS} ms`));
            reject(new LeaseLostError());
          }, LEASE_STATEMENT_TIMEOUT_MS);
        });
        try {
          const result = await Promise.race([client.query<T>(sql, parameters), timeout]);
          return result.rows;
        } catch (error) {
          throw this.lease === lease ? error : new LeaseLostError();
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }

  /** Gives the lease up, so that another replica may publish. */
  async releaseLease(): Promise<void> {
    const client = this.client;
    if (!this.lease || !client) return;
    this.lease = undefined;
    const { classId, key } = this.options.lease;
    // If this fails the session is broken, and the lock goes with it.
    await client
      .query('SELECT pg_advisory_unlock($1, hashtext($2))', [classId, key])
      .catch(() => undefined);
  }

  constructor(private readonly options: OutboxListenerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.lease = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      ...this.options.connection,
    });
    client.on('error', (error) => this.onLost(client, error));
    client.on('end', () => this.onLost(client, new Error('connection ended')));
    try {
      await client.connect();
      client.on('notification', () => this.options.onWake());
      await client.query(`LISTEN ${quoteIdentifier(this.options.channel)}`);
      for (const statement of this.options.setup) await client.query(statement);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.failures = 0;
      this.options.onWake();
    } catch (error) {
      this.failures += 1;
      this.options.logger.warn(
        { err: error, channel: this.options.channel },
        'outbox listener cannot connect; will retry',
      );
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.schedule();
    }
  }

  private onLost(client: Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.lease) {
      this.lease = undefined;
      this.options.onLeaseLost();
    }
    this.options.logger.warn(
      { err: error, channel: this.options.channel },
      'outbox listener lost its connection',
    );
    client.end().catch(() => undefined);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.connect();
      },
      backoffDelayMs(Math.max(this.failures, 1), this.options.reconnect),
    );
  }
}
