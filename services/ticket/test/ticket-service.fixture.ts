import { INestApplication } from '@nestjs/common';
import { createLogger } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceUnderTest,
  KnownUserProbes,
  ServiceProbes,
  knownUserProbes,
  serviceProbes,
  startServiceUnderTest,
} from '@servicedesk/testing';
import { createTicketApp } from '../src/app';
import { TicketConfig, loadTicketConfig } from '../src/config';
import { migrateTicketDatabase } from '../src/migrate';

/** A running ticket service on its own database and vhost, and the tools to drive it. */
export interface TicketServiceFixture
  extends ServiceUnderTest<TicketConfig, INestApplication>, ServiceProbes, KnownUserProbes {
  /** Publishes an event as another service's relay would (confirmed by the broker). */
  publish: EventPublisher['publish'];
}

export async function startTicketService(
  env: Record<string, string> = {},
): Promise<TicketServiceFixture> {
  const service = await startServiceUnderTest({
    service: 'ticket',
    loadConfig: loadTicketConfig,
    // Tests run the detector on demand, at the instant they choose.
    env: { SLA_CHECK_INTERVAL_MS: '0', ...env },
    migrate: migrateTicketDatabase,
    createApp: (config) => createTicketApp(config, createLogger('ticket', config.LOG_LEVEL)),
    // The ticket events need a route, or the relay's mandatory publishes bounce.
    async beforeStart({ events }) {
      const { queue } = await events.channel.assertQueue('test.ticket-events', { durable: false });
      await events.channel.bindQueue(queue, EVENTS_EXCHANGE, 'ticket.#');
    },
  });
  const { events } = service;

  const directory = knownUserProbes(service, 'ticket');

  return {
    ...service,
    publish: events.publish,
    ...directory,
    ...serviceProbes(service, 'ticket'),
  };
}
