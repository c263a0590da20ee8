import type { CommittedEvent } from './chaos-snapshot-types';

/**
 * Who must be notified of the events the chaos workload causes, as the notification service's
 * rules (services/notification/src/rules/notification-rules.ts) promise it. The workload never
 * changes preferences or quiet hours, so every recipient gets both channels at once. Events
 * the workload does not cause are not asserted (null).
 */

const BOTH_CHANNELS = ['IN_APP', 'EMAIL'] as const;
export type ExpectedChannel = (typeof BOTH_CHANNELS)[number];

export interface ExpectedNotification {
  recipientId: string;
  channel: ExpectedChannel;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function recipientsOf(event: CommittedEvent): Array<string | null> | null {
  const { payload, actorId } = event;
  switch (event.type) {
    case 'user.registered':
    case 'user.role_changed':
      return [text(payload.userId)];
    case 'ticket.created':
      return [text(payload.requesterId)];
    case 'ticket.assigned':
      // An agent who takes a ticket is not told; the requester always is.
      return [
        actorId === payload.assigneeId ? null : text(payload.assigneeId),
        text(payload.requesterId),
      ];
    case 'ticket.commented':
      // Internal notes never reach the requester; nobody hears of their own comment.
      return [
        payload.internal === true ? null : text(payload.requesterId),
        text(payload.assigneeId),
      ].map((id) => (id === payload.authorId ? null : id));
    case 'appointment.booked':
      return [text(payload.customerId), text(payload.agentId)];
    default:
      return null;
  }
}

/** The notification rows `event` must have caused; null when the checker makes no claim. */
export function expectedNotifications(event: CommittedEvent): ExpectedNotification[] | null {
  const recipients = recipientsOf(event);
  if (recipients === null) return null;
  const unique = [...new Set(recipients.filter((id): id is string => id !== null))];
  return unique.flatMap((recipientId) =>
    BOTH_CHANNELS.map((channel) => ({ recipientId, channel })),
  );
}
