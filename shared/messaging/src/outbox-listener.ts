import { Client, ClientConfig } from 'pg';
import { Logger, quoteIdentifier } from '@servicedesk/platform';
import { BackoffPolicy, backoffDelayMs } from './backoff';

/** A database that does not answer must not stall the relay's start (unless the caller sets its own). */
const CONNECT_TIMEOUT_MS = 5000;

export interface OutboxListenerOptions {
  connection: ClientConfig;
  channel: string;
  logger: Logger;
  reconnect: BackoffPolicy;
  /** Called for every notification and after every (re)connection, when some may have been missed. */
  onWake(): void;
}

/**
 * A dedicated PostgreSQL session LISTENing on the outbox channel (a pooled connection
 * cannot hold a LISTEN): the one connection a service opens outside its pool, counted in
 * its budget (`processConnections`). When the session drops it reconnects with backoff,
 * LISTENs again and wakes the relay, since notifications sent in between are lost.
 */
export class OutboxListener {
  private client: Client | undefined;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

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
