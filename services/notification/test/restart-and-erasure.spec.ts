import { anEvent, waitFor } from '@servicedesk/testing';
import { UPDATE_PREFERENCES, aKnownTicket, deliver } from './builders';
import {
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

describe('notification service: stopped while events were published', () => {
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    service = await startNotificationService();
  });

  afterAll(() => service?.close());

  it('sends every mail exactly once after it is started again', async () => {
    const people: Person[] = [];
    for (let i = 0; i < 3; i += 1) people.push(await service.registerPerson('CUSTOMER'));

    await service.stop();
    const events = [];
    for (const [index, person] of people.entries()) {
      for (const title of [`Offline ticket ${index}a`, `Offline ticket ${index}b`]) {
        events.push(
          await service.publish(
            anEvent('ticket.created', { payload: { requesterId: person.userId, title } }),
          ),
        );
      }
    }
    await service.restart();

    for (const event of events) await service.waitForProcessed(event.id);
    for (const [index, person] of people.entries()) {
      const subjects = service.smtp
        .mailsTo(person.email)
        .map((mail) => mail.subject)
        .filter((subject) => subject.includes('Offline ticket'))
        .sort();
      expect(subjects).toEqual([
        `We received your ticket "Offline ticket ${index}a"`,
        `We received your ticket "Offline ticket ${index}b"`,
      ]);
    }
    const { rows } = await service.db.query<{ status: string; count: number }>(
      `SELECT status, count(*)::int AS count FROM notification.notifications
       WHERE source_event_id = ANY($1) GROUP BY status`,
      [events.map((event) => event.id)],
    );
    expect(rows).toEqual([{ status: 'SENT', count: 12 }]);
  });
});

describe('notification service: erasure', () => {
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    service = await startNotificationService();
  });

  afterAll(() => service?.close());

  const countOf = async (sql: string, userId: string) =>
    Number((await service.db.query<{ count: string }>(sql, [userId])).rows[0].count);

  it('forgets the person and never notifies or revives them through late events', async () => {
    const leaver = await service.registerPerson('CUSTOMER');
    const stayer = await service.registerPerson('CUSTOMER');
    await service.instance.query(
      UPDATE_PREFERENCES,
      { input: { categories: [{ category: 'ACCOUNT', inApp: false }] } },
      leaver.identity,
    );
    const { ticketId } = await aKnownTicket(service, leaver);
    const kept = await aKnownTicket(service, stayer);
    expect(
      await countOf(
        'SELECT count(*) FROM notification.notifications WHERE recipient_id = $1',
        leaver.userId,
      ),
    ).toBeGreaterThan(0);

    await deliver(service, 'user.erased', { aggregateId: leaver.userId, actor: null });

    expect(
      await countOf(
        'SELECT count(*) FROM notification.notifications WHERE recipient_id = $1',
        leaver.userId,
      ),
    ).toBe(0);
    expect(
      await countOf(
        'SELECT count(*) FROM notification.preferences WHERE user_id = $1',
        leaver.userId,
      ),
    ).toBe(0);
    expect(
      await countOf(
        'SELECT count(*) FROM notification.tickets WHERE requester_id = $1',
        leaver.userId,
      ),
    ).toBe(0);
    const { rows: tombstone } = await service.db.query(
      `SELECT email, name, time_zone, role, erased_at IS NOT NULL AS erased
       FROM notification.recipients WHERE id = $1`,
      [leaver.userId],
    );
    expect(tombstone).toEqual([
      { email: null, name: null, time_zone: null, role: null, erased: true },
    ]);
    // Someone else's data stays.
    expect(
      await countOf(
        'SELECT count(*) FROM notification.tickets WHERE requester_id = $1',
        stayer.userId,
      ),
    ).toBe(1);
    expect((await service.notificationsOf(kept.created.id)).length).toBe(2);

    const mailsBefore = service.smtp.mailsTo(leaver.email).length;
    const lateRegistration = await deliver(service, 'user.registered', {
      aggregateId: leaver.userId,
      occurredAt: new Date(Date.now() - 3_600_000),
      payload: { email: leaver.email, name: leaver.name, timeZone: leaver.timeZone },
    });
    const lateTicket = await deliver(service, 'ticket.created', {
      payload: { requesterId: leaver.userId, title: 'Late ticket' },
    });
    const lateComment = await deliver(service, 'ticket.commented', {
      aggregateId: ticketId,
      payload: { ticketId, requesterId: leaver.userId, internal: false },
    });

    for (const event of [lateRegistration, lateTicket, lateComment]) {
      expect(await service.notificationsOf(event.id)).toEqual([]);
    }
    expect(
      await countOf(
        'SELECT count(*) FROM notification.tickets WHERE requester_id = $1',
        leaver.userId,
      ),
    ).toBe(0);
    expect(
      await countOf(
        'SELECT count(*) FROM notification.recipients WHERE id = $1 AND erased_at IS NOT NULL AND email IS NULL',
        leaver.userId,
      ),
    ).toBe(1);
    // Nothing was on its way to the erased address either.
    await waitFor(async () => (await service.release()) === 0, {
      description: 'an idle release loop',
    });
    expect(service.smtp.mailsTo(leaver.email)).toHaveLength(mailsBefore);
  });
});
