import { INestApplication } from '@nestjs/common';
import { EventEnvelope, EventType, Role } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceUnderTest,
  TestClock,
  anEvent,
  scrapeMetric,
  startServiceUnderTest,
  waitFor,
} from '@servicedesk/testing';
import { createAppointmentApp } from '../src/app';
import { AppointmentConfig, loadAppointmentConfig } from '../src/config';
import { migrateAppointmentDatabase } from '../src/migrate';

/** An outbox row of the appointment service, as the assertions need it. */
export interface OutboxRow<T extends EventType = EventType> {
  id: string;
  event_type: T;
  aggregate_id: string;
  envelope: EventEnvelope<T>;
}

/**
 * Monday 3 March 2031, 06:00 UTC: every test file starts its clock here, so calendars are
 * written against known weekdays; tests travel from it instead of waiting.
 */
export const MONDAY = new Date('2031-03-03T06:00:00.000Z');

/** A running appointment service on its own database and vhost, and the tools to drive it. */
export interface AppointmentServiceFixture extends ServiceUnderTest<
  AppointmentConfig,
  INestApplication
> {
  clock: TestClock;
  publish: EventPublisher['publish'];
  /**
   * Makes users known the way production does: through `user.registered` (and
   * `user.role_changed` for agents and admins), consumed by the service's own consumer.
   */
  registerUsers(...identities: Identity[]): Promise<void>;
  /** Makes a ticket of `requester` known through `ticket.created`; returns its id. */
  registerTicket(requester: Identity): Promise<string>;
  waitForKnownRole(userId: string, role: Role | 'ERASED'): Promise<void>;
  /** Whether the service's consumer has handled (and committed) the message. */
  isProcessed(messageId: string): Promise<boolean>;
  waitForProcessed(messageId: string): Promise<void>;
  /** Outbox rows of one aggregate (optionally one type), in emission order. */
  outbox(aggregateId: string): Promise<OutboxRow[]>;
  outbox<T extends EventType>(aggregateId: string, type: T): Promise<OutboxRow<T>[]>;
  /** Resolves once the relay has published every outbox row (so it is idle). */
  outboxPublished(): Promise<void>;
  /** SQL statements the service has run serving requests so far. */
  statementCount(): Promise<number>;
  /** Rows in a table of the appointment schema, for "nothing was written" checks. */
  count(table: string): Promise<number>;
}

export async function startAppointmentService(
  env: Record<string, string> = {},
): Promise<AppointmentServiceFixture> {
  const clock = new TestClock();
  clock.travelTo(MONDAY);
  const service = await startServiceUnderTest({
    service: 'appointment',
    loadConfig: loadAppointmentConfig,
    // Tests run the reminder detector on demand, at the instant they choose.
    env: { APPOINTMENT_REMINDER_INTERVAL_MS: '0', ...env },
    migrate: migrateAppointmentDatabase,
    createApp: (config) => createAppointmentApp(config, { clock }),
    // The appointment events need a route, or the relay's mandatory publishes bounce.
    async beforeStart({ events }) {
      const { queue } = await events.channel.assertQueue('test.appointment-events', {
        durable: false,
      });
      await events.channel.bindQueue(queue, EVENTS_EXCHANGE, 'appointment.#');
    },
  });
  const { db, events, url } = service;

  const knownRole = async (userId: string): Promise<string | undefined> => {
    const { rows } = await db.query<{ role: string; erased: boolean }>(
      'SELECT role, erased_at IS NOT NULL AS erased FROM appointment.known_users WHERE id = $1',
      [userId],
    );
    return rows[0] && (rows[0].erased ? 'ERASED' : rows[0].role);
  };
  const waitForKnownRole = async (userId: string, role: Role | 'ERASED'): Promise<void> => {
    await waitFor(async () => (await knownRole(userId)) === role, {
      description: `user ${userId} to be known to the appointment service as ${role}`,
    });
  };
  const isProcessed = async (messageId: string): Promise<boolean> => {
    const { rows } = await db.query('SELECT 1 FROM appointment.inbox WHERE message_id = $1', [
      messageId,
    ]);
    return rows.length > 0;
  };
  const waitForProcessed = async (messageId: string): Promise<void> => {
    await waitFor(() => isProcessed(messageId), {
      description: `message ${messageId} to be processed by the appointment service`,
    });
  };

  return {
    ...service,
    clock,
    publish: events.publish,
    async registerUsers(...identities) {
      const registeredAt = Date.now() - 60_000;
      for (const identity of identities) {
        await events.publish(
          anEvent('user.registered', {
            aggregateId: identity.userId,
            occurredAt: new Date(registeredAt),
          }),
        );
        if (identity.role !== 'CUSTOMER') {
          await events.publish(
            anEvent('user.role_changed', {
              aggregateId: identity.userId,
              payload: { previousRole: 'CUSTOMER', role: identity.role },
              occurredAt: new Date(registeredAt + 1000),
            }),
          );
        }
      }
      for (const identity of identities) await waitForKnownRole(identity.userId, identity.role);
    },
    async registerTicket(requester) {
      const created = await events.publish(
        anEvent('ticket.created', { payload: { requesterId: requester.userId } }),
      );
      await waitForProcessed(created.id);
      return created.aggregateId;
    },
    waitForKnownRole,
    isProcessed,
    waitForProcessed,
    async outbox(aggregateId: string, type?: EventType) {
      const { rows } = await db.query<OutboxRow>(
        `SELECT id, event_type, aggregate_id, envelope FROM appointment.outbox
         WHERE aggregate_id = $1 AND ($2::text IS NULL OR event_type = $2) ORDER BY seq`,
        [aggregateId, type ?? null],
      );
      return rows;
    },
    async outboxPublished() {
      await waitFor(
        async () => {
          const { rows } = await db.query<{ pending: string }>(
            "SELECT count(*) AS pending FROM appointment.outbox WHERE status <> 'PUBLISHED'",
          );
          return rows[0].pending === '0';
        },
        { description: 'the relay to publish every outbox row' },
      );
    },
    async statementCount() {
      const statements = await scrapeMetric(url, 'db_queries_total', { origin: 'http' });
      if (statements === undefined) throw new Error('db_queries_total is missing from /metrics');
      return statements;
    },
    async count(table) {
      const { rows } = await db.query<{ count: string }>(
        `SELECT count(*) FROM appointment.${table}`,
      );
      return Number(rows[0].count);
    },
  };
}
