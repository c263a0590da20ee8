import {
  AmqpConnection,
  BatchMessageErrorHandler,
  MessageErrorHandler,
  MessageHandlerOptions,
} from '@golevelup/nestjs-rabbitmq';
import { LoggerService } from '@nestjs/common';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { Logger, redactUrl } from '@servicedesk/platform';
import { BackoffPolicy, backoffDelayMs } from './backoff';
import { describeError } from './errors';
import { EVENTS_EXCHANGE } from './topology';

/** The consumers' connection to RabbitMQ: golevelup's AmqpConnection, with what it does not watch. */

export interface ConsumerConnectionOptions {
  url: string;
  /** Shown in RabbitMQ's connection list and in log lines (e.g. `ticket consumers`). */
  name: string;
  logger: Logger;
  reconnect: BackoffPolicy;
  /** The queues consumed, each on a channel of its own with its prefetch. */
  queues: ReadonlyArray<{ queue: string; prefetch: number }>;
}

/**
 * A queue's declaration: `setup` runs on its channel on every (re)connection, before its
 * consumer attaches; `arguments` are the work queue's own (for the library's declaration).
 */
export interface QueueSetup {
  setup(channel: Channel): Promise<void>;
  arguments: Readonly<Record<string, string | number>>;
}

/** What a handler resolves with: the message may be acked (it was settled). */
export type MessageHandler = (message: ConsumeMessage) => Promise<void>;
/** What a batch handler resolves with: every message of the batch may be acked. */
export type BatchHandler = (messages: readonly ConsumeMessage[]) => Promise<void>;

/**
 * Thrown by a handler when a message must stay unacknowledged (a move to a delay queue or the
 * DLQ failed): the broker redelivers it once the connection, which is being reset, is gone.
 * For a batch, `settled` lists the messages that may still be acked.
 */
export class KeptUnacknowledged extends Error {
  constructor(readonly settled: readonly ConsumeMessage[] = []) {
    super('message kept unacknowledged');
    this.name = 'KeptUnacknowledged';
  }
}

/** The channel that moves failed messages to delay queues and DLQs (golevelup's default). */
const MOVES_CHANNEL = 'moves';
/** Heartbeats every 30 s: a peer that stopped answering is given up after a minute. */
const HEARTBEAT_SECONDS = 30;
/** Closing a connection whose peer stopped answering is not waited for longer than this. */
const CLOSE_TIMEOUT_MS = 2000;

interface QueueState {
  consumerTag: string;
  channel: Channel | undefined;
  attached: boolean;
  /** A setup on the current channel failed: its consumer may be missing. */
  failed: boolean;
}

/**
 * The library manages the connection (amqp-connection-manager reconnects, and re-runs each
 * channel's setup: prefetch, our topology, the consumer), the channels (one per queue with its
 * prefetch, one confirm channel for moves) and the consumers' acks (a handler that resolves is
 * acked). On top of it, what it does not do:
 * - reconnection backoff: the manager waits a fixed time; ours grows with each failure (with
 *   jitter) by adjusting that time before each wait;
 * - a consumer the broker cancelled (its queue deleted) or a channel the broker closed (a
 *   topology conflict) is silently left unconsumed by the library until the whole connection
 *   drops: here the connection is reset, so the topology is declared and the consumer attached
 *   again;
 * - whether each queue has its consumer, for readiness;
 * - a graceful stop bounded in time: the library's `close` waits for every handler forever.
 */
export class ConsumerConnection {
  private readonly amqp: AmqpConnection;
  private readonly queues = new Map<string, QueueState>();
  private failures = 0;
  private lastError: string | undefined;
  private stopping = false;
  private closing: Promise<void> | undefined;
  private resetTimer: NodeJS.Timeout | undefined;
  private started = false;
  /** Set while `firstAttempt` waits: told of every attachment and failure. */
  private progressed: (() => void) | undefined;

  constructor(private readonly options: ConsumerConnectionOptions) {
    const channels: Record<string, { prefetchCount?: number; default?: boolean }> = {
      [MOVES_CHANNEL]: { default: true },
    };
    for (const { queue, prefetch } of options.queues) {
      channels[queue] = { prefetchCount: prefetch };
      this.queues.set(queue, {
        consumerTag: `${options.name}:${queue}`,
        channel: undefined,
        attached: false,
        failed: false,
      });
    }
    this.amqp = new AmqpConnection({
      name: options.name,
      uri: options.url,
      channels,
      exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic', options: { durable: true } }],
      // Handlers are registered programmatically (see `subscribe`), there is no RPC, and
      // `start` must not fail when the broker is away: the manager keeps trying.
      registerHandlers: false,
      enableDirectReplyTo: false,
      connectionInitOptions: {
        wait: false,
        skipConnectionFailedLogging: true,
        skipDisconnectFailedLogging: true,
      },
      connectionManagerOptions: {
        reconnectTimeInSeconds: options.reconnect.baseMs / 1000,
        // The manager's 5 s would drop the connection (and redeliver every unacked message)
        // whenever the event loop stalls for ten seconds.
        heartbeatIntervalInSeconds: HEARTBEAT_SECONDS,
        connectionOptions: { clientProperties: { connection_name: options.name } },
      },
      logger: libraryLogger(options.logger),
    });
  }

  get connected(): boolean {
    return this.started && this.amqp.connected;
  }

  /** Why the broker is not reachable, for readiness reports. */
  get status(): string {
    return this.connected
      ? 'connected'
      : `not connected${this.lastError ? ` (${this.lastError})` : ''}`;
  }

  /** Whether the queue's consumer is attached (false from the moment a stop begins). */
  attached(queue: string): boolean {
    return !this.stopping && this.connected && (this.queues.get(queue)?.attached ?? false);
  }

  /**
   * Opens the connection's channels and watches them. Returns at once; `firstAttempt` tells
   * when the first connection attached every consumer or failed.
   */
  async start(): Promise<void> {
    await this.amqp.init();
    this.started = true;
    const manager = this.amqp.managedConnection;
    const { logger, name, url } = this.options;
    manager.on('connect', () => {
      this.lastError = undefined;
      logger.info({ connection: name, url: redactUrl(url) }, 'connected to the broker');
    });
    manager.on('connectFailed', ({ err }: { err: Error }) => {
      this.lastError = describeError(err);
      this.failures += 1;
      manager.reconnectTimeInSeconds = this.nextDelayMs() / 1000;
      logger.warn(
        { connection: name, url: redactUrl(url), err, failures: this.failures },
        'cannot reach the broker; will retry',
      );
      this.progressed?.();
    });
    manager.on('disconnect', ({ err }: { err?: Error }) => {
      for (const state of this.queues.values()) state.attached = false;
      this.lastError = err ? describeError(err) : 'connection closed';
      manager.reconnectTimeInSeconds = this.nextDelayMs() / 1000;
      // No reconnection may attach consumers again while a stop drains its handlers.
      if (this.stopping) void this.close();
      else logger.warn({ connection: name, err }, 'broker connection lost; reconnecting');
    });
    manager.on('blocked', ({ reason }: { reason: string }) =>
      logger.warn({ connection: name, reason }, 'the broker blocks publishing (resource alarm)'),
    );
    manager.on('unblocked', () =>
      logger.info({ connection: name }, 'the broker accepts publishing again'),
    );
  }

  /** Resolves once every queue has its consumer attached, or a first attempt failed. */
  firstAttempt(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.progressed = () => {
        const states = [...this.queues.values()];
        if (this.failures === 0 && !states.every((state) => state.attached)) return;
        this.progressed = undefined;
        resolve();
      };
      if (this.queues.size === 0) this.progressed();
    });
  }

  /**
   * Registers a queue's consumer through golevelup (`createSubscriber`, the programmatic form
   * of `@RabbitSubscribe`: the queues come from the subscription registry at run time, and the
   * handlers are the services' plain providers, called inside our inbox transaction, so no
   * decorator can name them). `setup` declares our topology on each (re)connection first.
   */
  subscribe(queue: string, declaration: QueueSetup, handler: MessageHandler): void {
    const onError: MessageErrorHandler = (_channel, message, error) =>
      this.handlerFailed(queue, [message], error);
    this.watch(queue, declaration);
    void this.amqp.createSubscriber<Buffer>(
      (_content, message) => handler(required(message)),
      this.handlerOptions(queue, declaration, { errorHandler: onError }),
      queue,
    );
  }

  /**
   * Registers a batch consumer (`createBatchSubscriber`): up to `size` messages, or what
   * arrived until no message came for `waitMs`, handed over at once and acked together when
   * `handler` resolves.
   */
  subscribeBatch(
    queue: string,
    declaration: QueueSetup,
    handler: BatchHandler,
    batch: { size: number; waitMs: number },
  ): void {
    const onError: BatchMessageErrorHandler = (channel, messages, error) => {
      if (error instanceof KeptUnacknowledged) {
        for (const message of error.settled) ackQuietly(channel, message);
      }
      this.handlerFailed(queue, messages, error);
    };
    this.watch(queue, declaration);
    void this.amqp.createBatchSubscriber<Buffer>(
      (_contents, messages) => handler(messages ?? []),
      this.handlerOptions(queue, declaration, {
        batchOptions: { size: batch.size, timeout: batch.waitMs, errorHandler: onError },
      }),
    );
  }

  /** The confirm channel that moves failed messages on; throws when there is none. */
  publisher(): ConfirmChannel {
    if (!this.connected) throw new Error('no broker connection to move the message');
    return this.amqp.channels[MOVES_CHANNEL];
  }

  /** Drops the connection (a move failed, a consumer was cancelled) and connects again. */
  reset(reason: string): void {
    if (this.stopping || this.resetTimer !== undefined || !this.connected) return;
    const manager = this.amqp.managedConnection;
    const connection = manager.connection;
    this.failures += 1;
    this.options.logger.warn(
      { connection: this.options.name, reason },
      'resetting broker connection',
    );
    this.progressed?.();
    this.resetTimer = setTimeout(() => {
      this.resetTimer = undefined;
      // Only the connection that failed: a newer one (after a loss meanwhile) is kept.
      if (!this.stopping && manager.connection === connection && connection) manager.reconnect();
    }, this.nextDelayMs());
  }

  /** Cancels every consumer (in-flight messages stay to be settled) and stops reconnecting. */
  async stopConsuming(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
    if (!this.started) return;
    if (!this.amqp.connected) {
      // Nothing to ack on a lost connection; do not let the manager come back meanwhile.
      void this.close();
      return;
    }
    await Promise.all(
      [...this.queues.values()].map(async (state) => {
        state.attached = false;
        await state.channel?.cancel(state.consumerTag).catch(() => undefined);
      }),
    );
  }

  /** Closes the channels (flushing their acks) and the connection, without waiting forever. */
  close(): Promise<void> {
    this.stopping = true;
    if (!this.started) return Promise.resolve();
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      });
      await Promise.race([this.amqp.managedConnection.close().catch(() => undefined), timeout]);
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private handlerOptions(
    queue: string,
    declaration: QueueSetup,
    extra: Partial<MessageHandlerOptions>,
  ): MessageHandlerOptions {
    const state = this.queues.get(queue)!;
    return {
      queue,
      // The library declares the work queue before consuming, with the very arguments our
      // `setup` declares it with (so either may come first). It cannot declare the rest: its
      // queues know no delay queues, DLQs or classic-to-quorum migration.
      createQueueIfNotExists: true,
      queueOptions: {
        durable: true,
        arguments: { ...declaration.arguments },
        channel: queue,
        consumerOptions: { consumerTag: state.consumerTag },
      },
      // Bodies reach our handlers as they came: a malformed one is parked by us, not thrown
      // by the library's JSON parse into its own error path.
      deserializer: (content: Buffer) => content,
      ...extra,
    };
  }

  /** Our setup on the queue's channel, run before the library's consumer setup on each connection. */
  private watch(queue: string, declaration: QueueSetup): void {
    const state = this.queues.get(queue)!;
    const wrapper = this.amqp.managedChannels[queue];
    const { logger, name } = this.options;
    void wrapper.addSetup(async (channel: Channel) => {
      state.channel = channel;
      state.attached = false;
      state.failed = false;
      channel.on('close', () => {
        if (state.channel !== channel) return;
        state.attached = false;
        // A channel closed by the broker alone (e.g. a protocol error, a topology conflict)
        // would leave the queue unconsumed until the whole connection drops.
        this.reset(`channel of ${queue} closed`);
      });
      channel.on('cancel', ({ consumerTag }: { consumerTag: string }) => {
        if (consumerTag !== state.consumerTag || state.channel !== channel) return;
        state.attached = false;
        // The library ignores the broker's cancel (its queue deleted): start over with fresh topology.
        this.reset(`consumer of ${queue} cancelled by the broker`);
      });
      await declaration.setup(channel);
    });
    // Emitted once every setup of the channel (ours, then the consumer's) has succeeded.
    wrapper.on('connect', () => {
      if (!state.channel || state.failed) return;
      state.attached = true;
      this.failures = 0;
      this.progressed?.();
    });
    wrapper.on('error', (error: Error) => {
      state.failed = true;
      state.attached = false;
      logger.warn({ connection: name, queue, err: error }, 'consumer channel setup failed');
      this.reset(`setup of ${queue} failed`);
      this.progressed?.();
    });
  }

  private handlerFailed(queue: string, messages: readonly ConsumeMessage[], error: unknown): void {
    if (error instanceof KeptUnacknowledged) return;
    // The handlers settle their messages themselves and never throw otherwise: this is the
    // ack failing on a channel that died after the work was done; the redelivery will be a duplicate.
    this.options.logger.warn(
      { err: error, queue, messageIds: messages.map((m) => m.properties.messageId) },
      'ack failed; expecting a redelivery',
    );
  }

  private nextDelayMs(): number {
    return backoffDelayMs(Math.max(this.failures, 1), this.options.reconnect);
  }
}

function required(message: ConsumeMessage | undefined): ConsumeMessage {
  // The library calls subscribers with the raw message, never without it.
  if (!message) throw new Error('the subscriber was called without its message');
  return message;
}

function ackQuietly(channel: Channel, message: ConsumeMessage): void {
  try {
    channel.ack(message);
  } catch {
    // The channel is gone: the broker redelivers the message, the inbox absorbs it.
  }
}

/**
 * The library's own lines (channel opened, handler errors we already log with more context)
 * at debug level: our lines above say the same for operators, with the connection's name.
 */
function libraryLogger(logger: Logger): LoggerService {
  const child = logger.child({ component: 'amqp-connection' });
  const write = (message: unknown, ...rest: unknown[]) =>
    child.debug({ detail: rest }, String(message));
  return { log: write, error: write, warn: write, debug: write, verbose: write };
}
