import { SUBSCRIPTIONS, type EventEnvelope, type EventType } from '@servicedesk/contracts';
import type { NotificationCategory } from './categories';

/** Why a person hears of an event; templates word the message for it. */
export type Audience = 'user' | 'requester' | 'assignee' | 'customer' | 'agent';

/** One person to notify of an event. */
export interface RuleTarget {
  recipientId: string;
  audience: Audience;
  category: NotificationCategory;
  /** Critical notifications are emailed at once, even in the recipient's quiet hours. */
  critical: boolean;
}

export interface RuleContext {
  now: Date;
  /** Appointment changes this close to the start (or later) are critical. */
  criticalAppointmentMs: number;
}

type Rule<T extends EventType> = (event: EventEnvelope<T>, context: RuleContext) => RuleTarget[];

const target = (
  recipientId: string | null | undefined,
  audience: Audience,
  category: NotificationCategory,
  critical = false,
): RuleTarget[] => (recipientId ? [{ recipientId, audience, category, critical }] : []);

const startsSoon = (startsAt: string, { now, criticalAppointmentMs }: RuleContext) =>
  Date.parse(startsAt) - now.getTime() <= criticalAppointmentMs;

/** Both sides of an appointment change; critical when the appointment is close. */
const appointmentChange =
  (): Rule<'appointment.booked' | 'appointment.rescheduled' | 'appointment.cancelled'> =>
  ({ payload }, context) => {
    const critical = startsSoon(payload.startsAt, context);
    return [
      ...target(payload.customerId, 'customer', 'APPOINTMENTS', critical),
      ...target(payload.agentId, 'agent', 'APPOINTMENTS', critical),
    ];
  };

/**
 * Who hears of what: the one place that decides it. Recipients come from the ids in the
 * payload. People are not told about what they did themselves, except where it is a
 * receipt they want (their own ticket's confirmation, their own bookings). `user.erased`
 * and the service's own `notification.*` events notify nobody.
 */
export const NOTIFICATION_RULES: { [T in NotifiableEventType]: Rule<T> } = {
  'user.registered': ({ payload }) => target(payload.userId, 'user', 'ACCOUNT'),
  'user.role_changed': ({ payload }) => target(payload.userId, 'user', 'SECURITY', true),

  'ticket.created': ({ payload }) => target(payload.requesterId, 'requester', 'TICKET_UPDATES'),
  'ticket.assigned': ({ payload, actor }) => [
    // An agent who takes a ticket needs no note that they took it.
    ...(actor?.id === payload.assigneeId
      ? []
      : target(payload.assigneeId, 'assignee', 'TICKET_UPDATES')),
    ...target(payload.requesterId, 'requester', 'TICKET_UPDATES'),
  ],
  'ticket.status_changed': ({ payload, actor }) => [
    ...target(payload.requesterId, 'requester', 'TICKET_UPDATES'),
    ...(actor?.id === payload.assigneeId
      ? []
      : target(payload.assigneeId, 'assignee', 'TICKET_UPDATES')),
  ],
  'ticket.commented': ({ payload }) =>
    [
      // An internal note is for the support team: never to the requester.
      ...(payload.internal ? [] : target(payload.requesterId, 'requester', 'TICKET_COMMENTS')),
      ...target(payload.assigneeId, 'assignee', 'TICKET_COMMENTS'),
    ].filter((t) => t.recipientId !== payload.authorId),
  'ticket.sla_breached': ({ payload }) => target(payload.assigneeId, 'assignee', 'SLA', true),

  'appointment.booked': appointmentChange(),
  'appointment.rescheduled': appointmentChange(),
  'appointment.cancelled': appointmentChange(),
  'appointment.completed': ({ payload }) => target(payload.customerId, 'customer', 'APPOINTMENTS'),
  'appointment.no_show': ({ payload }) => target(payload.customerId, 'customer', 'APPOINTMENTS'),
  'appointment.reminder_due': ({ payload }) => [
    ...target(payload.customerId, 'customer', 'REMINDERS', true),
    ...target(payload.agentId, 'agent', 'REMINDERS', true),
  ],
};

type DeliveryEventType = (typeof SUBSCRIPTIONS)['notification.deliveries'][number];

/**
 * What the deliveries queue receives, less `user.erased` (which forgets a person instead of
 * telling anyone): the registry is the one list of what reaches this service.
 */
export const NOTIFIABLE_EVENTS = SUBSCRIPTIONS['notification.deliveries'].filter(
  (type): type is Exclude<DeliveryEventType, 'user.erased'> => type !== 'user.erased',
);
export type NotifiableEventType = (typeof NOTIFIABLE_EVENTS)[number];

export function isNotifiable(event: EventEnvelope): event is EventEnvelope<NotifiableEventType> {
  return (NOTIFIABLE_EVENTS as readonly string[]).includes(event.type);
}

/** The people to notify of `event`, each once (the first reason found wins). */
export function targetsOf(event: EventEnvelope, context: RuleContext): RuleTarget[] {
  if (!isNotifiable(event)) return [];
  const rule = NOTIFICATION_RULES[event.type] as Rule<NotifiableEventType>;
  const seen = new Set<string>();
  return rule(event, context).filter((t) => !seen.has(t.recipientId) && seen.add(t.recipientId));
}
