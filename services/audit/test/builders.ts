import { randomUUID } from 'node:crypto';
import {
  Actor,
  EVENT_VERSION,
  EventEnvelope,
  EventPayload,
  EventType,
  aggregateTypeOf,
} from '@servicedesk/contracts';
import {
  AuditEntryContent,
  ChainedAuditEntry,
  GENESIS_HASH,
  chainEntry,
} from '../src/audit-log/audit-hash';

const later = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/** A valid payload for each event type, about the aggregate `id`. */
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
    firstResponseDueAt: later(60),
    resolutionDueAt: later(480),
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
    dueAt: later(-5),
    breachedAt: later(0),
  }),
  'appointment.booked': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
    ticketId: null,
    startsAt: later(1440),
    endsAt: later(1470),
  }),
  'appointment.rescheduled': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
    previousStartsAt: later(1440),
    startsAt: later(2880),
    endsAt: later(2910),
    reason: 'customer asked',
  }),
  'appointment.cancelled': (id) => ({
    appointmentId: id,
    agentId: randomUUID(),
    customerId: randomUUID(),
    startsAt: later(1440),
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
    startsAt: later(60),
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

export interface EventOverrides {
  id?: string;
  aggregateId?: string;
  actor?: Actor;
  occurredAt?: string;
  correlationId?: string;
}

/** A valid envelope of `type`, as a service's relay would publish it. */
export function anEvent<T extends EventType>(
  type: T,
  overrides: EventOverrides = {},
): EventEnvelope<T> {
  const aggregateId = overrides.aggregateId ?? randomUUID();
  const payload = samplePayloads[type](aggregateId) as EventPayload<T>;
  return {
    id: overrides.id ?? randomUUID(),
    type,
    version: EVENT_VERSION,
    occurredAt: overrides.occurredAt ?? new Date().toISOString(),
    source: `${aggregateTypeOf(type)}-service`,
    aggregateType: aggregateTypeOf(type),
    aggregateId,
    actor: overrides.actor === undefined ? { id: randomUUID(), role: 'AGENT' } : overrides.actor,
    correlationId: overrides.correlationId ?? randomUUID(),
    payload,
  };
}

/** An intact in-memory chain of `length` entries, seq 1..length. */
export function aChain(length: number): ChainedAuditEntry[] {
  const entries: ChainedAuditEntry[] = [];
  for (let index = 0; index < length; index += 1) {
    const content: AuditEntryContent = {
      seq: String(index + 1),
      eventId: randomUUID(),
      type: 'ticket.commented',
      source: 'ticket-service',
      aggregateType: 'ticket',
      aggregateId: randomUUID(),
      actor: index % 3 === 0 ? null : { id: randomUUID(), role: 'AGENT' },
      correlationId: randomUUID(),
      occurredAt: new Date(Date.UTC(2025, 0, 1, 12, 0, index)).toISOString(),
      recordedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, index, 250)).toISOString(),
      payload: { body: `comment ${index}`, nested: { tags: ['a', 'b'], count: index } },
      prevHash: entries.length === 0 ? GENESIS_HASH : entries[entries.length - 1].hash,
    };
    entries.push(chainEntry(content));
  }
  return entries;
}
