import { EVENT_TYPES, EventType } from './events';

/** Work queues by name, each with the event types (routing keys) bound to it. */
export type SubscriptionRegistry = Readonly<Record<string, readonly EventType[]>>;

/**
 * Every work queue of the platform and the events bound to it: the single source the whole
 * broker topology is declared from (delay queues and DLQs are derived), by `npm run migrate`
 * and by every service before it publishes, so no event is ever routed while a queue is
 * missing. A queue is `<consuming service>.<purpose>`; that service maps it to a handler in
 * its `*.subscriptions.ts`.
 */
export const SUBSCRIPTIONS = {
  'ticket.user-directory': ['user.registered', 'user.role_changed', 'user.erased'],
  'appointment.directory': ['user.registered', 'user.role_changed', 'ticket.created'],
  'appointment.erasure': ['user.erased'],
  'audit.events': EVENT_TYPES,
  // Never the service's own notification.* events.
  'notification.deliveries': [
    'user.registered',
    'user.role_changed',
    'user.erased',
    'ticket.created',
    'ticket.assigned',
    'ticket.status_changed',
    'ticket.commented',
    'ticket.sla_breached',
    'appointment.booked',
    'appointment.rescheduled',
    'appointment.cancelled',
    'appointment.completed',
    'appointment.no_show',
    'appointment.reminder_due',
  ],
} as const satisfies SubscriptionRegistry;

export type PlatformQueue = keyof typeof SUBSCRIPTIONS;

/** The service that consumes `queue` (the part before the first dot). */
export function consumingServiceOf(queue: string): string {
  return queue.split('.', 1)[0];
}
