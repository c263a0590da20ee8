import { randomUUID } from 'node:crypto';
import { anEvent, anIdentity, waitFor } from '@servicedesk/testing';
import {
  NotificationServiceFixture,
  startNotificationService,
} from './notification-service.fixture';

/**
 * Events of different people are not ordered: a ticket can reach the notification service
 * before its requester's registration does.
 */
describe('notification service: a recipient whose registration arrives late', () => {
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    // Attempts enough for the test to deliver the registration between two of them.
    service = await startNotificationService({
      CONSUMER_MAX_ATTEMPTS: '30',
      CONSUMER_RETRY_BASE_MS: '100',
      CONSUMER_RETRY_MAX_MS: '300',
    });
  });

  afterAll(() => service?.close());

  const processed = async (messageId: string) =>
    (await service.db.query('SELECT 1 FROM notification.inbox WHERE message_id = $1', [messageId]))
      .rows.length > 0;

  it('retries the event until the registration is known, then notifies them', async () => {
    const requester = anIdentity('CUSTOMER');
    const ticketId = randomUUID();
    const created = await service.publish(
      anEvent('ticket.created', {
        aggregateId: ticketId,
        payload: { ticketId, requesterId: requester.userId, title: 'Badge reader broken' },
      }),
    );
    // The ticket's title is recorded on the first attempt, which then waits for the requester.
    await waitFor(
      async () =>
        (await service.db.query('SELECT 1 FROM notification.tickets WHERE id = $1', [ticketId]))
          .rows.length > 0,
      { description: 'the first attempt at the ticket' },
    );
    expect(await processed(created.id)).toBe(false);

    const email = `late-${randomUUID().slice(0, 8)}@example.com`;
    await service.publish(
      anEvent('user.registered', {
        aggregateId: requester.userId,
        payload: {
          userId: requester.userId,
          email,
          name: 'Lena',
          timeZone: 'UTC',
          role: 'CUSTOMER',
        },
      }),
    );

    await service.waitForProcessed(created.id);
    expect((await service.notificationsOf(created.id)).map((row) => row.channel)).toEqual([
      'EMAIL',
      'IN_APP',
    ]);
    await service.smtp.waitForMail(
      (mail) => mail.to.includes(email) && mail.subject.includes('Badge reader broken'),
      'the ticket confirmation to the late registrant',
    );
    expect(await service.deadLetterCount()).toBe(0);
  });

  it('waits for the registration when a role change overtook it, then tells them', async () => {
    const user = anIdentity('CUSTOMER');
    const registeredAt = Date.now() - 60_000;
    const promoted = await service.publish(
      anEvent('user.role_changed', {
        aggregateId: user.userId,
        occurredAt: new Date(registeredAt + 1000),
        payload: { previousRole: 'CUSTOMER', role: 'AGENT' },
      }),
    );
    // The role is recorded on the first attempt, before the person can be written to.
    await waitFor(
      async () =>
        (
          await service.db.query(
            `SELECT 1 FROM notification.recipients WHERE id = $1 AND role = 'AGENT'`,
            [user.userId],
          )
        ).rows.length > 0,
      { description: 'the first attempt at the role change' },
    );
    expect(await processed(promoted.id)).toBe(false);

    const email = `promoted-${randomUUID().slice(0, 8)}@example.com`;
    await service.publish(
      anEvent('user.registered', {
        aggregateId: user.userId,
        occurredAt: new Date(registeredAt),
        payload: { email, name: 'Ravi', timeZone: 'UTC', role: 'CUSTOMER' },
      }),
    );

    await service.waitForProcessed(promoted.id);
    expect((await service.notificationsOf(promoted.id)).map((row) => row.channel)).toEqual([
      'EMAIL',
      'IN_APP',
    ]);
    await service.smtp.waitForMail(
      (mail) => mail.to.includes(email) && mail.subject === 'Your role has changed',
      'the role change mail',
    );
    const { rows } = await service.db.query(
      'SELECT role FROM notification.recipients WHERE id = $1',
      [user.userId],
    );
    expect(rows).toEqual([{ role: 'AGENT' }]);
  });
});
