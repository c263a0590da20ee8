import { INestApplication } from '@nestjs/common';
import { Role } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceUnderTest,
  TestClock,
  anEvent,
  ServiceProbes,
  serviceProbes,
  startServiceUnderTest,
  waitFor,
} from '@servicedesk/testing';
import { createAppointmentApp } from '../src/app';
import { AppointmentConfig, loadAppointmentConfig } from '../src/config';
import { migrateAppointmentDatabase } from '../src/migrate';

/**
 * Monday 3 March 2031, 06:00 UTC: every test file starts its clock here, so calendars are
 * written against known weekdays; tests travel from it instead of waiting.
 */
export const MONDAY = new Date('2031-03-03T06:00:00.000Z');

/** A running appointment service on its own database and vhost, and the tools to drive it. */
export interface AppointmentServiceFixture
  extends ServiceUnderTest<AppointmentConfig, INestApplication>, ServiceProbes {
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
  const { db, events } = service;

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
  const probes = serviceProbes(service, 'appointment');

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
      await probes.waitForProcessed(created.id);
      return created.aggregateId;
    },
    waitForKnownRole,
    ...probes,
  };
}
