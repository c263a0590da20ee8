import { ChannelModel, connect } from 'amqplib';
import { Logger, StartupDependency, reasonOf, redactUrl } from '@servicedesk/platform';
import { BackoffPolicy, backoffDelayMs } from './backoff';
import { describeError } from './errors';

export interface BrokerConnectionOptions {
  url: string;
  /** Shown in RabbitMQ's connection list and in log lines (e.g. `ticket relay`). */
  name: string;
  logger: Logger;
  reconnect: BackoffPolicy;
  /** Declares topology and opens channels on every new connection; a failure means reconnect. */
  setup(model: ChannelModel): Promise<void>;
  /** Called when an established connection is lost (its channels are gone with it). */
  onDisconnect?(error: unknown): void;
}

const CLOSE_TIMEOUT_MS = 2000;

/**
 * One AMQP connection that keeps itself alive: connects, runs `setup`, and after any loss
 * reconnects with capped exponential backoff and runs `setup` again (topology is
 * re-declared, consumers re-attached). Messages unacknowledged when a connection dies are
 * redelivered by the broker, so nothing here needs to remember them.
 */
export class BrokerConnection {
  private model: ChannelModel | null = null;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: BrokerConnectionOptions) {}

  /** Makes a first attempt (resolving either way) and keeps trying in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connectOnce();
  }

  get connected(): boolean {
    return this.model !== null;
  }

  /** Why the broker is not reachable, for readiness reports. */
  get status(): string {
    return this.model
      ? 'connected'
      : `not connected${this.lastError ? ` (${this.lastError})` : ''}`;
  }

  /** Drops the connection (e.g. a channel broke or a confirm never came) and reconnects. */
  async reset(reason: string): Promise<void> {
    const model = this.model;
    if (!model) return;
    this.options.logger.warn(
      { connection: this.options.name, reason },
      'resetting broker connection',
    );
    this.model = null;
    this.options.onDisconnect?.(new Error(reason));
    await this.closeModel(model);
    this.scheduleReconnect();
  }

  /**
   * Stops reconnecting, but keeps the current connection (e.g. for acks while in-flight work
   * drains). A connection attempt under way is awaited; the connection it made, if any, is
   * closed without being used.
   */
  async stopReconnecting(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.connecting;
  }

  async stop(): Promise<void> {
    await this.stopReconnecting();
    const model = this.model;
    this.model = null;
    if (model) await this.closeModel(model);
  }

  private connectOnce(): Promise<void> {
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.model) return;
    const { logger, name } = this.options;
    let model: ChannelModel | undefined;
    try {
      model = await connect(this.options.url, { clientProperties: { connection_name: name } });
      const current = model;
      current.on('error', (error: Error) => {
        logger.warn({ connection: name, err: error }, 'broker connection error');
      });
      current.on('blocked', (reason: string) =>
        logger.warn({ connection: name, reason }, 'the broker blocks publishing (resource alarm)'),
      );
      current.on('unblocked', () =>
        logger.info({ connection: name }, 'the broker accepts publishing again'),
      );
      current.once('close', (error?: Error) => this.onClose(current, error));
      await this.options.setup(current);
      if (this.stopped) {
        await this.closeModel(current);
        return;
      }
      this.model = current;
      this.failures = 0;
      this.lastError = undefined;
      logger.info(
        { connection: name, url: redactUrl(this.options.url) },
        'connected to the broker',
      );
    } catch (error) {
      this.lastError = describeError(error);
      this.failures += 1;
      logger.warn(
        { connection: name, url: redactUrl(this.options.url), err: error, failures: this.failures },
        'cannot reach the broker; will retry',
      );
      if (model) await this.closeModel(model);
      this.scheduleReconnect();
    }
  }

  private onClose(model: ChannelModel, error?: Error): void {
    if (this.model !== model) return;
    this.model = null;
    this.lastError = error ? describeError(error) : 'connection closed';
    this.options.logger.warn(
      { connection: this.options.name, err: error },
      'broker connection lost; reconnecting',
    );
    this.options.onDisconnect?.(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer !== undefined) return;
    const delay = backoffDelayMs(Math.max(this.failures, 1), this.options.reconnect);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connectOnce();
    }, delay);
  }

  private async closeModel(model: ChannelModel): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // A connection whose peer stopped answering never acknowledges the close; do not wait for it.
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([model.close().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
}

/**
 * What to fix when RabbitMQ at `url` refused a connection in a way waiting cannot cure (wrong
 * credentials, a vhost that does not exist or is not the user's); undefined otherwise.
 */
export function brokerRefusal(error: unknown, url: string): string | undefined {
  const reason = reasonOf(error);
  if (/\b403 \(ACCESS-REFUSED\)/.test(reason)) {
    return `${reason}; correct the user or password in RABBITMQ_URL`;
  }
  // The broker's 530 NOT_ALLOWED answer to opening the vhost, which amqplib reports only as
  // the close it got instead of connection.open-ok.
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(reason)) {
    const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
    return (
      `vhost "${vhost}" not allowed (530 NOT_ALLOWED: it does not exist, or the user may not use it); ` +
      `create it and grant the user access (\`rabbitmqctl add_vhost\`, \`rabbitmqctl set_permissions\`) or correct RABBITMQ_URL`
    );
  }
  return undefined;
}

/** RabbitMQ at `url` as a start-up dependency: answers once a connection opens (closed again at once). */
export function brokerDependency(url: string): StartupDependency {
  return {
    name: `RabbitMQ at ${redactUrl(url)}`,
    async probe(timeoutMs) {
      const model = await connect(url, {
        timeout: timeoutMs,
        clientProperties: { connection_name: 'start-up check' },
      });
      await model.close();
    },
    refusal: (error) => brokerRefusal(error, url),
  };
}
