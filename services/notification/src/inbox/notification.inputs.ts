import { z } from 'zod';
import { CURSOR_MAX_LENGTH, TextLimits, pageSizeSchema } from '@servicedesk/platform';
import { NOTIFICATION_CHANNELS, NOTIFICATION_STATUSES } from '../rules/categories';

/**
 * Validation of the arguments of the notification lists and commands; an issue's path is
 * the argument as the client wrote it (`id`, `filter.recipientId`, `after`).
 */
const id = z.uuid({ error: 'must be a UUID' });
const channel = z.enum(NOTIFICATION_CHANNELS, { error: 'is not a notification channel' });
const status = z.enum(NOTIFICATION_STATUSES, { error: 'is not a notification status' });

export const notificationArgs = z.object({ id });

export const myNotificationsArgs = z.object({
  unreadOnly: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  channel: channel.nullish(),
  first: pageSizeSchema({ min: 0 }),
  after: z.string().nullish(),
});

export const notificationsArgs = z.object({
  filter: z
    .object({ recipientId: id.nullish(), status: status.nullish(), channel: channel.nullish() })
    .nullish(),
  first: pageSizeSchema({ min: 0 }),
  after: z.string().nullish(),
});

/** The longest text each argument and input field takes, enforced before resolvers run. */
export const NOTIFICATION_TEXT_LIMITS: TextLimits = {
  'Query.myNotifications(after:)': CURSOR_MAX_LENGTH,
  'Query.notifications(after:)': CURSOR_MAX_LENGTH,
};
