import { randomUUID } from 'node:crypto';
import { ChannelModel, ConfirmChannel, connect } from 'amqplib';
import {
  Actor,
  EventEnvelope,
  EventPayload,
  EventType,
  aggregateTypeOf,
} from '@servicedesk/contracts';
import { EVENTS_EXCHANGE, MessageHeaders, buildEnvelope } from '@servicedesk/messaging';

const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/** A valid payload of each event type, about the aggregate `id`. */
const samplePayloads: { [T in EventType]: (id: string) => EventPayload<T> } = {
  'user.registered': (id) => ({
    userId: id,
    email: `user-${id.slice(0, 8)}@example.test`,
    name: 'Ada Lovelace',
    role: 'CUSTOMER',
    timeZone: 'Europe/London',
  }),
  'user.role_changed': (id) => ({ userId: id, previousRole: 'CUSTOMER', role: 'AGENT' }),
  'user.erased': (id) => ({ userId: id }),
  'ticket.created': (id) => ({
    ticketId: id,
    requesterId: randomUUID(),
    title: 'Printer on fire',
    priority: 'HIGH',
    status: 'OPEN',
    tags: ['hardware'],
    firstResponseDueAt: minutesFromNow(60),
    resolutionDueAt: minutesFromNow(480),
  }),
  'ticket.assigned': (id) => ({
    ticketId: id,
    requesterId: randomUUID(),
    assigneeId: randomUUID(),
    previousAssigneeId: null,
  }),
  'ticket.status_changed': (id) => ({
    ticketId: id,
    requesterId: randomUUID(),
    assigneeId: randomUUID(),
    from: 'OPEN',
    to: 'IN_PROGRESS',
    version: 2,
  }),
  'ticket.commented': (id) => ({
    ticketId: id,
    requesterId: randomUUID(),
    assigneeId: null,
    commentId: randomUUID(),
    authorId: randomUUID(),
    internal: false,
  }),
  'ticket.sla_breached': (id) => ({
    ticketId: id,
    requesterId: randomUUID(),
    assigneeId: null,
    target: 'FIRST_RESPONSE',
    dueAt: minutesFromNow(-5),
    breachedAt: minutesFromNow(0),
  }),
  'appointment.booked': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
    ticketId: null,
    startsAt: minutesFromNow(1440),
    endsAt: minutesFromNow(1470),
  }),
  'appointment.rescheduled': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
    previousStartsAt: minutesFromNow(1440),
    startsAt: minutesFromNow(2880),
    endsAt: minutesFromNow(2910),
    reason: 'customer asked',
  }),
  'appointment.cancelled': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
    startsAt: minutesFromNow(1440),
    reason: null,
  }),
  'appointment.completed': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
  }),
  'appointment.no_show': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
  }),
  'appointment.reminder_due': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
    startsAt: minutesFromNow(60),
    offsetMinutes: 60,
  }),
  'notification.sent': (id) => ({
    notificationId: id,
    recipientId: randomUUID(),
    channel: 'EMAIL',
    sourceEventId: randomUUID(),
  }),
  'notification.failed': (id) => ({
    notificationId: id,
    recipientId: randomUUID(),
    channel: 'IN_APP',
    sourceEventId: randomUUID(),
    error: 'mailbox full',
  }),
};

/** A valid payload of `type` about the aggregate `aggregateId`; override what the test is about. */
export function aPayload<T extends EventType>(
  type: T,
  aggregateId: string = randomUUID(),
  overrides: Partial<EventPayload<T>> = {},
): EventPayload<T> {
  return { ...samplePayloads[type](aggregateId), ...overrides };
}

export interface EventOverrides<T extends EventType> {
  id?: string;
  aggregateId?: string;
  /** Merged into the sample payload. */
  payload?: Partial<EventPayload<T>>;
  /** Defaults to an agent: most events are caused by someone; `null` is the system itself. */
  actor?: Actor;
  occurredAt?: Date | string;
  correlationId?: string;
  /** Defaults to the service that owns the aggregate (`ticket` for `ticket.assigned`). */
  source?: string;
}

/**
 * A valid envelope of `type`, as the relay of the service owning it would publish it. It is
 * built by the same `buildEnvelope` the services use, so it honours the contract.
 */
export function anEvent<T extends EventType>(
  type: T,
  overrides: EventOverrides<T> = {},
): EventEnvelope<T> {
  const aggregateId = overrides.aggregateId ?? randomUUID();
  return buildEnvelope(
    {
      type,
      aggregateId,
      payload: aPayload(type, aggregateId, overrides.payload),
      actor: overrides.actor === undefined ? { id: randomUUID(), role: 'AGENT' } : overrides.actor,
    },
    {
      id: overrides.id,
      source: overrides.source ?? aggregateTypeOf(type),
      now: overrides.occurredAt === undefined ? undefined : new Date(overrides.occurredAt),
      context: { correlationId: overrides.correlationId ?? randomUUID(), identity: null },
    },
  );
}

/** What a publisher needs of an envelope: malformed-message tests send broken ones too. */
export interface PublishableEnvelope {
  id: string;
  type: string;
  correlationId?: string;
  occurredAt?: string;
}

export interface RawMessageProperties {
  messageId?: string;
  correlationId?: string;
  timestamp?: Date;
}

/** Publishes events to `servicedesk.events` the way a service's relay does. */
export interface EventPublisher {
  /** Publishes `envelope` with its type as routing key and waits for the broker's confirm. */
  publish<E extends PublishableEnvelope>(envelope: E): Promise<E>;
  /** Publishes arbitrary bytes with `routingKey`, for malformed-message tests. */
  publishRaw(routingKey: string, body: Buffer, properties?: RawMessageProperties): Promise<void>;
  /** The publisher's own channel, to declare or inspect queues. */
  channel: ConfirmChannel;
  close(): Promise<void>;
}

/** Connects to `rabbitmqUrl` and declares the events exchange (as the services do). */
export async function eventPublisher(rabbitmqUrl: string): Promise<EventPublisher> {
  const connection: ChannelModel = await connect(rabbitmqUrl);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });

    const publishRaw = (routingKey: string, body: Buffer, properties: RawMessageProperties = {}) =>
      new Promise<void>((resolve, reject) => {
        channel.publish(
          EVENTS_EXCHANGE,
          routingKey,
          body,
          {
            messageId: properties.messageId ?? randomUUID(),
            type: routingKey,
            contentType: 'application/json',
            persistent: true,
            timestamp: Math.floor((properties.timestamp ?? new Date()).getTime() / 1000),
            headers: { [MessageHeaders.correlationId]: properties.correlationId ?? randomUUID() },
          },
          (error) => (error ? reject(error) : resolve()),
        );
      });

    return {
      channel,
      publishRaw,
      async publish(envelope) {
        const occurredAt = envelope.occurredAt ? new Date(envelope.occurredAt) : undefined;
        await publishRaw(envelope.type, Buffer.from(JSON.stringify(envelope)), {
          messageId: envelope.id,
          correlationId: envelope.correlationId,
          timestamp: occurredAt && !Number.isNaN(occurredAt.getTime()) ? occurredAt : undefined,
        });
        return envelope;
      },
      close: () => connection.close(),
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
