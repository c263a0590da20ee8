import { z } from 'zod';
import {
  baseConfigShape,
  circuitBreakerShape,
  databasePoolShape,
  loadConfig,
  portVariable,
  requirePoolFor,
} from '@servicedesk/platform';
import { senderDomain } from './delivery/message-id';

/** Where mails go on a developer machine (e.g. Mailpit from docker-compose). */
export const LOCAL_SMTP_URL = 'smtp://127.0.0.1:1025';

/** An smtp:// or smtps:// URL; the value itself never appears in an error (it may hold credentials). */
const smtpUrl = z.string().refine(
  (value) => {
    try {
      return ['smtp:', 'smtps:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: 'must be a URL starting with smtp:// or smtps://' },
);

const notificationVariables = z.object({
  ...baseConfigShape,
  NOTIFICATION_PORT: portVariable(3004),
  NOTIFICATION_MANAGEMENT_PORT: portVariable(9004),
  // The default CONSUMER_PREFETCH (10) of deliveries needs 11 (below); one more for the rest.
  ...databasePoolShape(12),
  /** The SMTP server's circuit breaker (`delivery/mailer.ts`). */
  ...circuitBreakerShape,
  /** Credentials, if any, go in the URL: required explicitly in production. */
  SMTP_URL: smtpUrl.default(LOCAL_SMTP_URL),
  /** Its address's domain also names every email's Message-ID (see `delivery/message-id.ts`). */
  NOTIFICATION_EMAIL_FROM: z
    .string()
    .trim()
    .refine((from) => senderDomain(from) !== undefined, {
      message: 'must be an address, alone or as `Name <user@domain>`',
    })
    .default('Servicedesk <no-reply@servicedesk.local>'),
  /** Deadline of one whole SMTP conversation, past which it is a transient failure; sets the lease. */
  NOTIFICATION_SMTP_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** SMTP connections kept open and used at once; also how many emails a delivery sends at once. */
  NOTIFICATION_SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Messages one pooled connection carries before it is closed and replaced. */
  NOTIFICATION_SMTP_MAX_MESSAGES_PER_CONNECTION: z.coerce.number().int().min(1).default(100),
  /** How often held or retried emails are looked for; 0 turns the timer off (on demand only). */
  NOTIFICATION_RELEASE_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
  /** Emails looked at per round of the release loop. */
  NOTIFICATION_RELEASE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Appointment changes this close to the start are critical: sent even in quiet hours. */
  NOTIFICATION_CRITICAL_APPOINTMENT_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
});

// A delivery, from the one queue `notification.deliveries`, holds its inbox transaction's
// connection while, for a message waiting for a recipient, it commits the others'
// notifications in a separate transaction (delivery/notification-events.handler.ts).
const notificationConfigSchema = notificationVariables.superRefine(
  requirePoolFor((config) => ({ handlers: config.CONSUMER_PREFETCH, connectionsPerHandler: 2 })),
);

export type NotificationConfig = z.infer<typeof notificationConfigSchema>;

/** Reads and validates the notification service's configuration once, at start-up. */
export function loadNotificationConfig(env: NodeJS.ProcessEnv = process.env): NotificationConfig {
  return loadConfig(notificationConfigSchema, env, { productionSecrets: ['SMTP_URL'] });
}

/** Injection token of the parsed configuration. */
export const NOTIFICATION_CONFIG = Symbol('NOTIFICATION_CONFIG');
