import type { EventType } from '@servicedesk/contracts';
import type {
  NotificationCategory,
  NotificationChannel,
  NotificationStatus,
} from '../rules/categories';

/** One notification of one person on one channel, as stored in `notification.notifications`. */
export interface Notification {
  id: string;
  /** The event it tells of; (sourceEventId, recipientId, channel) is unique. */
  sourceEventId: string;
  type: EventType;
  category: NotificationCategory;
  recipientId: string;
  channel: NotificationChannel;
  status: NotificationStatus;
  /** Sent at once even in quiet hours. */
  critical: boolean;
  title: string;
  body: string;
  /** EMAIL only: the HTML part and the address it goes to. */
  html: string | null;
  emailTo: string | null;
  attempts: number;
  /** A short reason of the last failed attempt, without the address. */
  lastError: string | null;
  /** An email is not sent before (quiet hours, retry backoff). */
  deliverAfter: Date;
  sentAt: Date | null;
  readAt: Date | null;
  createdAt: Date;
}

/** Column and SQL type of each property (parameters of a VALUES list need their types). */
const COLUMNS: Readonly<Record<keyof Notification, [column: string, type: string]>> = {
  id: ['id', 'uuid'],
  sourceEventId: ['source_event_id', 'uuid'],
  type: ['type', 'varchar'],
  category: ['category', 'varchar'],
  recipientId: ['recipient_id', 'uuid'],
  channel: ['channel', 'varchar'],
  status: ['status', 'varchar'],
  critical: ['critical', 'boolean'],
  title: ['title', 'varchar'],
  body: ['body', 'text'],
  html: ['html', 'text'],
  emailTo: ['email_to', 'varchar'],
  attempts: ['attempts', 'int'],
  lastError: ['last_error', 'varchar'],
  deliverAfter: ['deliver_after', 'timestamptz'],
  sentAt: ['sent_at', 'timestamptz'],
  readAt: ['read_at', 'timestamptz'],
  createdAt: ['created_at', 'timestamptz'],
};

export const NOTIFICATION_COLUMNS = Object.keys(COLUMNS) as Array<keyof Notification>;

/** A select list that returns rows already shaped as `Notification`. */
export function notificationColumns(alias: string): string {
  return Object.entries(COLUMNS)
    .map(([property, [column]]) => `${alias}.${column} AS "${property}"`)
    .join(', ');
}

/** Column names in the order of `NOTIFICATION_COLUMNS`, for INSERT statements. */
export function notificationColumnNames(): string[] {
  return NOTIFICATION_COLUMNS.map((property) => COLUMNS[property][0]);
}

/** The placeholder `$n` of a property's value, cast to its column's type. */
export function typedPlaceholder(property: keyof Notification, index: number): string {
  return `$${index}::${COLUMNS[property][1]}`;
}
