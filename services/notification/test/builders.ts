import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { EventEnvelope, EventPayload, EventType } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';
import { EventOverrides, anEvent, dataOf } from '@servicedesk/testing';
import type { NotificationServiceFixture, Person } from './notification-service.fixture';

export const NOTIFICATION_FIELDS = `id type category title body channel status critical attempts
  lastError readAt sentAt deliverAfter createdAt recipient { id }`;

export const MY_NOTIFICATIONS = `query($unreadOnly: Boolean, $channel: NotificationChannel, $first: Int, $after: String) {
  myNotifications(unreadOnly: $unreadOnly, channel: $channel, first: $first, after: $after) {
    edges { cursor node { ${NOTIFICATION_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const ALL_NOTIFICATIONS = `query($filter: NotificationFilter, $first: Int, $after: String) {
  notifications(filter: $filter, first: $first, after: $after) {
    edges { cursor node { ${NOTIFICATION_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const UNREAD_COUNT = `query { unreadNotificationCount }`;
export const MARK_READ = `mutation($id: ID!) { markNotificationRead(id: $id) { ${NOTIFICATION_FIELDS} } }`;
export const MARK_ALL_READ = `mutation { markAllNotificationsRead }`;
export const RETRY = `mutation($id: ID!) { retryNotification(id: $id) { ${NOTIFICATION_FIELDS} } }`;
const PREFERENCE_FIELDS = `categories { category email inApp emailOptional } quietHours { start end } timeZone`;
export const PREFERENCES = `query { notificationPreferences { ${PREFERENCE_FIELDS} } }`;
export const UPDATE_PREFERENCES = `mutation($input: UpdateNotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { ${PREFERENCE_FIELDS} }
}`;
export const REPLAY = `mutation($queue: String!) { replayNotificationDeadLetters(queue: $queue) { replayed } }`;

export interface NotificationView {
  id: string;
  type: string;
  category: string;
  title: string;
  body: string;
  channel: 'EMAIL' | 'IN_APP';
  status: 'PENDING' | 'SENT' | 'FAILED';
  critical: boolean;
  attempts: number;
  lastError: string | null;
  readAt: string | null;
  sentAt: string | null;
  deliverAfter: string;
  createdAt: string;
  recipient: { id: string };
}

export interface NotificationConnectionView {
  edges: Array<{ cursor: string; node: NotificationView }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Publishes `type` and resolves once the service has processed it. */
export async function deliver<T extends EventType>(
  service: NotificationServiceFixture,
  type: T,
  overrides: EventOverrides<T> = {},
): Promise<EventEnvelope<T>> {
  const event = await service.publish(anEvent(type, overrides));
  await service.waitForProcessed(event.id);
  return event;
}

let ticketNumber = 0;

/** A ticket the service knows (from its `ticket.created`), requested by `requester`. */
export async function aKnownTicket(
  service: NotificationServiceFixture,
  requester: Person,
  payload: Partial<EventPayload<'ticket.created'>> = {},
): Promise<{ ticketId: string; title: string; created: EventEnvelope<'ticket.created'> }> {
  ticketNumber += 1;
  const ticketId = randomUUID();
  const title = payload.title ?? `Printer jammed #${ticketNumber}`;
  const created = await deliver(service, 'ticket.created', {
    aggregateId: ticketId,
    actor: { id: requester.userId, role: 'CUSTOMER' },
    payload: { requesterId: requester.userId, ...payload, title },
  });
  return { ticketId, title, created };
}

export async function myNotifications(
  service: NotificationServiceFixture,
  viewer: Identity,
  variables: Record<string, unknown> = {},
): Promise<NotificationConnectionView> {
  const response = await service.instance.query<{ myNotifications: NotificationConnectionView }>(
    MY_NOTIFICATIONS,
    variables,
    viewer,
  );
  return dataOf(response).myNotifications;
}

/** The next time the wall clock of `timeZone` reads `hour:minute`, at least an hour from now. */
export function nextLocalTime(timeZone: string, hour: number, minute = 0): Date {
  let candidate = DateTime.now().setZone(timeZone).set({ hour, minute, second: 0, millisecond: 0 });
  while (candidate.toMillis() < Date.now() + 3_600_000) candidate = candidate.plus({ days: 1 });
  return candidate.toJSDate();
}
