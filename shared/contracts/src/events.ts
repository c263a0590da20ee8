import { z } from 'zod';
import { roleSchema } from './roles';

const uuid = z.string().uuid();
const isoDate = z.string().datetime({ offset: true });
const ticketStatus = z.enum(['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED']);
const ticketPriority = z.enum(['LOW', 'NORMAL', 'HIGH', 'URGENT']);

/**
 * Every integration event of the platform: routing key → payload schema. The routing
 * key is the event type, `<aggregate>.<past-tense verb>`. Payloads are validated when an
 * event is written to an outbox and again when a consumer receives it.
 */
export const eventPayloadSchemas = {
  'user.registered': z.object({
    userId: uuid,
    email: z.string().email(),
    name: z.string(),
    role: roleSchema,
    timeZone: z.string(),
  }),
  'user.role_changed': z.object({ userId: uuid, previousRole: roleSchema, role: roleSchema }),
  'user.erased': z.object({ userId: uuid }),

  'ticket.created': z.object({
    ticketId: uuid,
    requesterId: uuid,
    title: z.string(),
    priority: ticketPriority,
    status: ticketStatus,
    tags: z.array(z.string()),
    firstResponseDueAt: isoDate,
    resolutionDueAt: isoDate,
  }),
  'ticket.assigned': z.object({
    ticketId: uuid,
    requesterId: uuid,
    assigneeId: uuid,
    previousAssigneeId: uuid.nullable(),
  }),
  'ticket.status_changed': z.object({
    ticketId: uuid,
    requesterId: uuid,
    assigneeId: uuid.nullable(),
    from: ticketStatus,
    to: ticketStatus,
    version: z.number().int().positive(),
  }),
  'ticket.commented': z.object({
    ticketId: uuid,
    requesterId: uuid,
    assigneeId: uuid.nullable(),
    commentId: uuid,
    authorId: uuid,
    internal: z.boolean(),
  }),
  'ticket.sla_breached': z.object({
    ticketId: uuid,
    requesterId: uuid,
    assigneeId: uuid.nullable(),
    target: z.enum(['FIRST_RESPONSE', 'RESOLUTION']),
    dueAt: isoDate,
    breachedAt: isoDate,
  }),

  'appointment.booked': z.object({
    appointmentId: uuid,
    agentId: uuid,
    customerId: uuid,
    ticketId: uuid.nullable(),
    startsAt: isoDate,
    endsAt: isoDate,
  }),
  'appointment.rescheduled': z.object({
    appointmentId: uuid,
    agentId: uuid,
    customerId: uuid,
    previousStartsAt: isoDate,
    startsAt: isoDate,
    endsAt: isoDate,
    reason: z.string().nullable(),
  }),
  'appointment.cancelled': z.object({
    appointmentId: uuid,
    agentId: uuid,
    customerId: uuid,
    startsAt: isoDate,
    reason: z.string().nullable(),
  }),
  'appointment.completed': z.object({ appointmentId: uuid, agentId: uuid, customerId: uuid }),
  'appointment.no_show': z.object({ appointmentId: uuid, agentId: uuid, customerId: uuid }),
  'appointment.reminder_due': z.object({
    appointmentId: uuid,
    agentId: uuid,
    customerId: uuid,
    startsAt: isoDate,
    offsetMinutes: z.number().int().positive(),
  }),

  'notification.sent': z.object({
    notificationId: uuid,
    recipientId: uuid,
    channel: z.enum(['EMAIL', 'IN_APP']),
    sourceEventId: uuid,
  }),
  'notification.failed': z.object({
    notificationId: uuid,
    recipientId: uuid,
    channel: z.enum(['EMAIL', 'IN_APP']),
    sourceEventId: uuid,
    error: z.string(),
  }),
} as const;

export type EventType = keyof typeof eventPayloadSchemas;
export type EventPayload<T extends EventType> = z.infer<(typeof eventPayloadSchemas)[T]>;
export const EVENT_TYPES = Object.keys(eventPayloadSchemas) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.prototype.hasOwnProperty.call(eventPayloadSchemas, value);
}

/** The aggregate an event type belongs to: the part of the routing key before the dot. */
export function aggregateTypeOf(type: EventType): string {
  return type.slice(0, type.indexOf('.'));
}
