import { ChannelModel, connect } from 'amqplib';
import { Inject, Injectable } from '@nestjs/common';
import { BadUserInputError, ConflictError, ServiceUnavailableError } from '@servicedesk/platform';
import {
  DeadLetter,
  DeadLetterQueueInfo,
  ReplayError,
  ReplayResult,
  deadLetterQueues,
  peekDeadLetters,
  replayDeadLetters,
} from './dead-letter-operations';
import { MESSAGING_OPTIONS, MessagingModuleOptions } from './messaging.options';
import {
  FailedOutboxRow,
  OutboxStatusReport,
  failedOutboxRows,
  outboxStatus,
  retryFailedOutbox,
} from './outbox-operations';
import { workQueueOf } from './topology';
import { UnitOfWork } from './unit-of-work';

export const MAX_OPERATIONS_LIMIT = 100;

/** The operator's view of one service's messaging, behind the ADMIN GraphQL operations. */
@Injectable()
export class MessagingOperations {
  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  get service(): string {
    return this.options.service;
  }

  /** The work queues this service consumes. */
  queues(): string[] {
    return (this.options.subscriptions ?? []).map((subscription) => subscription.queue);
  }

  outboxStatus(): Promise<OutboxStatusReport> {
    return outboxStatus(this.unitOfWork.dataSource, this.options.schema);
  }

  failedOutbox(limit: number): Promise<FailedOutboxRow[]> {
    return failedOutboxRows(this.unitOfWork.dataSource, this.options.schema, checkLimit(limit));
  }

  retryFailedOutbox(): Promise<number> {
    return retryFailedOutbox(this.unitOfWork.dataSource, this.options.schema);
  }

  deadLetterQueues(): Promise<DeadLetterQueueInfo[]> {
    return this.withBroker((connection) => deadLetterQueues(connection, this.queues()));
  }

  peekDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    const own = this.ownQueue(queue);
    return this.withBroker((connection) => peekDeadLetters(connection, own, checkLimit(limit)));
  }

  /** Throws CONFLICT when a message cannot be moved back (it stays parked; the error says why). */
  replayDeadLetters(queue: string, limit: number): Promise<ReplayResult> {
    const own = this.ownQueue(queue);
    const checked = checkLimit(limit);
    return this.withBroker((connection) =>
      replayDeadLetters(connection, own, checked).catch((error: unknown) => {
        if (error instanceof ReplayError) throw new ConflictError(error.message);
        throw error;
      }),
    );
  }

  private ownQueue(queue: string): string {
    const workQueue = workQueueOf(queue);
    if (!this.queues().includes(workQueue)) {
      const known = this.queues().join(', ') || 'none';
      throw new BadUserInputError(
        'queue',
        `${queue} is not a queue of the ${this.service} service (its queues: ${known})`,
      );
    }
    return workQueue;
  }

  /** Operations are rare: a short-lived connection keeps them apart from the consumers' channels. */
  private async withBroker<T>(work: (connection: ChannelModel) => Promise<T>): Promise<T> {
    let connection: ChannelModel;
    try {
      connection = await connect(this.options.rabbitmqUrl, {
        clientProperties: { connection_name: `${this.service} operations` },
      });
    } catch {
      throw new ServiceUnavailableError('RabbitMQ');
    }
    connection.on('error', () => undefined);
    try {
      return await work(connection);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_OPERATIONS_LIMIT) {
    throw new BadUserInputError('limit', `limit must be between 1 and ${MAX_OPERATIONS_LIMIT}`);
  }
  return limit;
}
