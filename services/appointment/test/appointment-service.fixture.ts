import { INestApplication } from '@nestjs/common';
import { Identity } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceUnderTest,
  TestClock,
  anEvent,
  KnownUserProbes,
  ServiceProbes,
  knownUserProbes,
  serviceProbes,
  startServiceUnderTest,
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
  extends ServiceUnderTest<AppointmentConfig, INestApplication>, ServiceProbes, KnownUserProbes {
  clock: TestClock;
  publish: EventPublisher['publish'];
  /** Makes a ticket of `requester` known through `ticket.created`; returns its id. */
  registerTicket(requester: Identity): Promise<string>;
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
  const { events } = service;

  const directory = knownUserProbes(service, 'appointment');

  const probes = serviceProbes(service, 'appointment');

  return {
    ...service,
    clock,
    publish: events.publish,
    ...directory,
    async registerTicket(requester) {
      const created = await events.publish(
        anEvent('ticket.created', { payload: { requesterId: requester.userId } }),
      );
      await probes.waitForProcessed(created.id);
      return created.aggregateId;
    },
    ...probes,
  };
}
