import { INestApplication } from '@nestjs/common';
import { Role } from '@servicedesk/contracts';
import { Identity, createLogger } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceUnderTest,
  anEvent,
  ServiceProbes,
  serviceProbes,
  startServiceUnderTest,
  waitFor,
} from '@servicedesk/testing';
import { createTicketApp } from '../src/app';
import { TicketConfig, loadTicketConfig } from '../src/config';
import { migrateTicketDatabase } from '../src/migrate';

/** A running ticket service on its own database and vhost, and the tools to drive it. */
export interface TicketServiceFixture
  extends ServiceUnderTest<TicketConfig, INestApplication>, ServiceProbes {
  /** Publishes an event as another service's relay would (confirmed by the broker). */
  publish: EventPublisher['publish'];
  /**
   * Makes users known to the ticket service the way production does: through
   * `user.registered` (and `user.role_changed` for agents and admins, who register as
   * customers first), consumed by the service's own consumer.
   */
  registerUsers(...identities: Identity[]): Promise<void>;
  /** The role the ticket service has recorded for a user, once it equals `role`. */
  waitForKnownRole(userId: string, role: Role | 'ERASED'): Promise<void>;
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
  const { db, events } = service;

  const knownRole = async (userId: string): Promise<string | undefined> => {
    const { rows } = await db.query<{ role: string; erased: boolean }>(
      'SELECT role, erased_at IS NOT NULL AS erased FROM ticket.known_users WHERE id = $1',
      [userId],
    );
    return rows[0] && (rows[0].erased ? 'ERASED' : rows[0].role);
  };
  const waitForKnownRole = async (userId: string, role: Role | 'ERASED'): Promise<void> => {
    await waitFor(async () => (await knownRole(userId)) === role, {
      description: `user ${userId} to be known to the ticket service as ${role}`,
    });
  };

  return {
    ...service,
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
    waitForKnownRole,
    ...serviceProbes(service, 'ticket'),
  };
}
