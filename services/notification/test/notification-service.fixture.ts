import { INestApplication } from '@nestjs/common';
import { EventEnvelope, EventType, Role } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceInstance,
  ServiceUnderTest,
  SmtpTestServer,
  TcpProxy,
  TestClock,
  anEvent,
  anIdentity,
  createTcpProxy,
  startServiceUnderTest,
  startSmtpServer,
  uniqueName,
  waitFor,
} from '@servicedesk/testing';
import { createNotificationApp } from '../src/app';
import { NotificationConfig, loadNotificationConfig } from '../src/config';
import { EmailReleaseLoop } from '../src/delivery/email-release.loop';
import { migrateNotificationDatabase } from '../src/migrate';
import { StallingSmtpFront, startStallingSmtpFront } from './stalling-smtp-front';

/** Someone the notification service knows, as the user service announced them. */
export interface Person {
  identity: Identity;
  userId: string;
  email: string;
  name: string;
  timeZone: string;
}

/** A row of `notification.notifications`, as the assertions need it. */
export interface NotificationRow {
  id: string;
  recipient_id: string;
  channel: 'EMAIL' | 'IN_APP';
  status: 'PENDING' | 'SENT' | 'FAILED';
  category: string;
  critical: boolean;
  attempts: number;
  last_error: string | null;
  deliver_after: Date;
  sent_at: Date | null;
}

export interface OutboxRow<T extends EventType = EventType> {
  event_type: T;
  envelope: EventEnvelope<T>;
}

export interface NotificationServiceFixture extends ServiceUnderTest<
  NotificationConfig,
  INestApplication
> {
  clock: TestClock;
  smtp: SmtpTestServer;
  /** Publishes an event as another service's relay would. */
  publish: EventPublisher['publish'];
  /**
   * Resolves once the consumer has committed the message (its inbox row exists) and tried
   * each of its emails that was due: none left untried, none in the middle of being sent.
   */
  waitForProcessed(messageId: string): Promise<void>;
  /** Makes a person known through `user.registered` (and `user.role_changed` for staff). */
  registerPerson(role: Role, overrides?: Partial<Omit<Person, 'identity'>>): Promise<Person>;
  /** Notification rows caused by one event, ordered by recipient and channel. */
  notificationsOf(eventId: string): Promise<NotificationRow[]>;
  /** Waits until `eventId` has caused exactly the rows `done` accepts. */
  waitForNotifications(
    eventId: string,
    done: (rows: NotificationRow[]) => boolean,
    description: string,
  ): Promise<NotificationRow[]>;
  /** The service's outbox rows of one type, in emission order. */
  outbox<T extends EventType>(type: T): Promise<OutboxRow<T>[]>;
  /** Runs the release loop once, at the test clock's now. */
  release(): Promise<number>;
  /** The current running instance (replaced by `restart`). */
  instance: Pick<ServiceInstance<INestApplication>, 'app' | 'query' | 'url' | 'managementUrl'>;
  /** Stops the running instance; events published meanwhile wait in the queue. */
  stop(): Promise<void>;
  /** Starts a fresh instance on the same database and vhost. */
  restart(): Promise<void>;
  /** Messages parked in `notification.deliveries.dlq`. */
  deadLetterCount(): Promise<number>;
  /** Between the service and its database, when asked for: to cut the service off alone. */
  databaseProxy: TcpProxy | undefined;
  /** Between the service and the SMTP server, when asked for: to stall a conversation. */
  smtpFront: StallingSmtpFront | undefined;
}

export interface NotificationServiceOptions {
  /** Routes the service's database connections through a proxy the test can cut. */
  databaseProxy?: boolean;
  /** Sends the service's mail through a front that can stall a conversation (`smtpFront`). */
  stallingSmtp?: boolean;
}

export async function startNotificationService(
  env: Record<string, string> = {},
  options: NotificationServiceOptions = {},
): Promise<NotificationServiceFixture> {
  const clock = new TestClock();
  const smtp = await startSmtpServer();
  const smtpFront = options.stallingSmtp ? await startStallingSmtpFront(smtp.url) : undefined;
  let databaseProxy: TcpProxy | undefined;
  const throughProxy = async (config: NotificationConfig) => {
    if (!options.databaseProxy) return config;
    const database = new URL(config.DATABASE_URL);
    databaseProxy ??= await createTcpProxy(database.hostname, Number(database.port || 5432));
    return { ...config, DATABASE_URL: databaseProxy.urlFor(config.DATABASE_URL) };
  };
  let service: ServiceUnderTest<NotificationConfig, INestApplication>;
  try {
    service = await startServiceUnderTest({
      service: 'notification',
      loadConfig: loadNotificationConfig,
      env: {
        SMTP_URL: smtpFront?.url ?? smtp.url,
        NOTIFICATION_SMTP_TIMEOUT_MS: '3000',
        // Tests run the release loop on demand, at the instant they choose.
        NOTIFICATION_RELEASE_INTERVAL_MS: '0',
        CONSUMER_MAX_ATTEMPTS: '3',
        CONSUMER_RETRY_BASE_MS: '50',
        CONSUMER_RETRY_MAX_MS: '200',
        ...env,
      },
      migrate: migrateNotificationDatabase,
      createApp: async (config) => createNotificationApp(await throughProxy(config), { clock }),
      // The service's own events need a route, or the relay's mandatory publishes bounce.
      async beforeStart({ events }) {
        const { queue } = await events.channel.assertQueue('test.notification-events', {
          durable: false,
        });
        await events.channel.bindQueue(queue, EVENTS_EXCHANGE, 'notification.#');
      },
    });
  } catch (error) {
    await databaseProxy?.close();
    await smtpFront?.close();
    await smtp.close();
    throw error;
  }
  const { db, events } = service;
  let instance: NotificationServiceFixture['instance'] = service;

  const notificationsOf = async (eventId: string) => {
    const { rows } = await db.query<NotificationRow>(
      `SELECT id, recipient_id, channel, status, category, critical, attempts, last_error,
              deliver_after, sent_at
       FROM notification.notifications WHERE source_event_id = $1
       ORDER BY recipient_id, channel`,
      [eventId],
    );
    return rows;
  };

  const waitForProcessed = async (messageId: string) => {
    await waitFor(
      async () => {
        const { rows } = await db.query<{ done: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM notification.inbox WHERE message_id = $1)
             AND NOT EXISTS (
               SELECT 1 FROM notification.notifications
               WHERE source_event_id = $1 AND channel = 'EMAIL' AND status = 'PENDING'
                 AND (sending_until IS NOT NULL OR (attempts = 0 AND deliver_after <= $2))
             ) AS done`,
          [messageId, clock.now()],
        );
        return rows[0].done;
      },
      { description: `message ${messageId} to be processed by the notification service` },
    );
  };

  return {
    ...service,
    clock,
    smtp,
    publish: events.publish,
    waitForProcessed,
    get instance() {
      return instance;
    },
    async registerPerson(role, overrides = {}) {
      const identity = anIdentity(role);
      const person: Person = {
        identity,
        userId: identity.userId,
        email: `${uniqueName('person')}@example.com`,
        name: 'Ada Lovelace',
        timeZone: 'Europe/Berlin',
        ...overrides,
      };
      const registeredAt = Date.now() - 60_000;
      const registered = await events.publish(
        anEvent('user.registered', {
          aggregateId: identity.userId,
          occurredAt: new Date(registeredAt),
          payload: {
            email: person.email,
            name: person.name,
            timeZone: person.timeZone,
            role: 'CUSTOMER',
          },
        }),
      );
      await waitForProcessed(registered.id);
      if (role !== 'CUSTOMER') {
        const promoted = await events.publish(
          anEvent('user.role_changed', {
            aggregateId: identity.userId,
            occurredAt: new Date(registeredAt + 1000),
            payload: { previousRole: 'CUSTOMER', role },
          }),
        );
        await waitForProcessed(promoted.id);
      }
      return person;
    },
    notificationsOf,
    async waitForNotifications(eventId, done, description) {
      return waitFor(
        async () => {
          const rows = await notificationsOf(eventId);
          return done(rows) && rows;
        },
        { description },
      );
    },
    async outbox<T extends EventType>(type: T) {
      const { rows } = await db.query<OutboxRow<T>>(
        `SELECT event_type, envelope FROM notification.outbox WHERE event_type = $1 ORDER BY seq`,
        [type],
      );
      return rows;
    },
    release: () => instance.app.get(EmailReleaseLoop).release(),
    async stop() {
      await instance.app.close();
    },
    async restart() {
      instance = await service.startInstance();
    },
    async deadLetterCount() {
      const { messageCount } = await events.channel.checkQueue('notification.deliveries.dlq');
      return messageCount;
    },
    databaseProxy,
    smtpFront,
    async close() {
      try {
        await service.close();
      } finally {
        await databaseProxy?.close();
        await smtpFront?.close();
        await smtp.close();
      }
    },
  };
}
