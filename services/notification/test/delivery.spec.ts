import { randomUUID } from 'node:crypto';
import { anEvent, anIdentity, dataOf, errorOf, scrapeMetric, waitFor } from '@servicedesk/testing';
import { DateTime } from 'luxon';
import {
  NotificationView,
  REPLAY,
  RETRY,
  UPDATE_PREFERENCES,
  aKnownTicket,
  deliver,
  nextLocalTime,
} from './builders';
import {
  NotificationRow,
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

const MINUTE_MS = 60_000;

describe('notification service: email delivery', () => {
  let service: NotificationServiceFixture;
  const admin = anIdentity('ADMIN');

  beforeAll(async () => {
    service = await startNotificationService();
  });

  afterAll(() => service?.close());

  afterEach(() => service.clock.travelTo(new Date()));

  const emailOf = (rows: NotificationRow[]) => rows.find((row) => row.channel === 'EMAIL');
  const mailsAbout = (person: Person, title: string) =>
    service.smtp.mailsTo(person.email).filter((m) => m.subject.includes(title));

  async function withQuietHours(person: Person, start: string, end: string): Promise<void> {
    dataOf(
      await service.instance.query(
        UPDATE_PREFERENCES,
        { input: { quietHours: { start, end } } },
        person.identity,
      ),
    );
  }

  it('holds a non-critical email in quiet hours until the release loop finds them over', async () => {
    const person = await service.registerPerson('CUSTOMER', { timeZone: 'Europe/Berlin' });
    await withQuietHours(person, '22:00', '07:00');
    const lateEvening = nextLocalTime('Europe/Berlin', 23, 30);
    service.clock.travelTo(lateEvening);

    const { created, title } = await aKnownTicket(service, person);

    const rows = await service.notificationsOf(created.id);
    expect(rows.find((row) => row.channel === 'IN_APP')?.status).toBe('SENT');
    const held = emailOf(rows);
    const morning = DateTime.fromJSDate(lateEvening, { zone: 'Europe/Berlin' })
      .plus({ days: 1 })
      .set({ hour: 7, minute: 0 })
      .toJSDate();
    expect(held).toMatchObject({ status: 'PENDING', attempts: 0, deliver_after: morning });

    expect(await service.release()).toBe(0);
    service.clock.travelTo(new Date(morning.getTime() - MINUTE_MS));
    expect(await service.release()).toBe(0);
    expect(mailsAbout(person, title)).toEqual([]);

    service.clock.travelTo(new Date(morning.getTime() + MINUTE_MS));
    expect(await service.release()).toBe(1);
    await service.smtp.waitForMail(
      (m) => m.to.includes(person.email) && m.subject.includes(title),
      'the held confirmation',
    );
    expect(emailOf(await service.notificationsOf(created.id))).toMatchObject({
      status: 'SENT',
      attempts: 1,
    });
    const [sent] = (await service.outbox('notification.sent')).filter(
      (row) => row.envelope.payload.notificationId === held?.id,
    );
    expect(sent.envelope.payload).toMatchObject({ channel: 'EMAIL', sourceEventId: created.id });
  });

  it('sends a critical email at once, even in quiet hours', async () => {
    const person = await service.registerPerson('CUSTOMER', { timeZone: 'Europe/Berlin' });
    await withQuietHours(person, '22:00', '07:00');
    service.clock.travelTo(nextLocalTime('Europe/Berlin', 2, 0));
    const startsAt = new Date(service.clock.now().getTime() + 60 * MINUTE_MS).toISOString();

    const reminder = await deliver(service, 'appointment.reminder_due', {
      actor: null,
      payload: { customerId: person.userId, agentId: randomUUID(), startsAt },
    });

    const email = emailOf(await service.notificationsOf(reminder.id));
    expect(email).toMatchObject({ status: 'SENT', critical: true });
    await service.smtp.waitForMail(
      (m) => m.to.includes(person.email) && m.subject.startsWith('Reminder: appointment'),
      'the reminder in quiet hours',
    );
  });

  it('sends one mail however often the same event arrives', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const { ticketId, title, created } = await aKnownTicket(service, person);

    await service.publish(created);
    await service.publish(created);
    // Messages of one aggregate are handled in order: once a later one is in, the copies are too.
    await deliver(service, 'ticket.status_changed', {
      aggregateId: ticketId,
      payload: { ticketId, requesterId: randomUUID(), assigneeId: null },
    });

    expect(mailsAbout(person, title)).toHaveLength(1);
    expect((await service.notificationsOf(created.id)).map((r) => r.channel)).toEqual([
      'EMAIL',
      'IN_APP',
    ]);
  });

  it('retries a transient SMTP failure and records the attempts', async () => {
    const person = await service.registerPerson('CUSTOMER');
    service.smtp.failNext(1, { code: 451, message: 'Greylisted, try again later' });

    const { created, title } = await aKnownTicket(service, person);

    await service.smtp.waitForMail(
      (m) => m.to.includes(person.email) && m.subject.includes(title),
      'the retried mail',
    );
    // The SENT mark follows the server's acceptance.
    await service.waitForProcessed(created.id);
    expect(mailsAbout(person, title)).toHaveLength(1);
    expect(emailOf(await service.notificationsOf(created.id))).toMatchObject({
      status: 'SENT',
      attempts: 2,
      last_error: 'SMTP 451: Greylisted, try again later',
    });
    expect(await service.deadLetterCount()).toBe(0);
  });

  it('gives up on a permanent failure: FAILED, notification.failed, the message in the DLQ; a replay sends it', async () => {
    const person = await service.registerPerson('CUSTOMER');
    service.smtp.failNext(1, {
      code: 550,
      message: `Mailbox ${person.email} unavailable`,
    });

    const created = await service.publish(
      anEvent('ticket.created', {
        payload: { requesterId: person.userId, title: 'Bounced ticket' },
      }),
    );

    await waitFor(async () => (await service.deadLetterCount()) === 1, {
      description: 'the message to be parked in notification.deliveries.dlq',
    });
    const failed = emailOf(await service.notificationsOf(created.id));
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(failed?.last_error).toBe('SMTP 550: Mailbox <address> unavailable');
    const [event] = (await service.outbox('notification.failed')).filter(
      (row) => row.envelope.payload.notificationId === failed?.id,
    );
    expect(event.envelope.payload).toEqual({
      notificationId: failed?.id,
      recipientId: person.userId,
      channel: 'EMAIL',
      sourceEventId: created.id,
      error: 'SMTP 550: Mailbox <address> unavailable',
    });
    expect(JSON.stringify(event.envelope)).not.toContain(person.email);
    // The in-app notification was delivered regardless.
    expect((await service.notificationsOf(created.id)).map((r) => [r.channel, r.status])).toEqual([
      ['EMAIL', 'FAILED'],
      ['IN_APP', 'SENT'],
    ]);

    const replayed = await service.instance.query<{
      replayNotificationDeadLetters: { replayed: number };
    }>(REPLAY, { queue: 'notification.deliveries' }, admin);
    expect(dataOf(replayed).replayNotificationDeadLetters.replayed).toBe(1);

    await service.smtp.waitForMail(
      (m) => m.to.includes(person.email) && m.subject.includes('Bounced ticket'),
      'the mail sent after the replay',
    );
    await service.waitForProcessed(created.id);
    expect(emailOf(await service.notificationsOf(created.id))).toMatchObject({ status: 'SENT' });
    expect(await service.deadLetterCount()).toBe(0);
  });

  it('leaves an email FAILED when a retry of its message comes back: only a replay reopens it', async () => {
    const person = await service.registerPerson('CUSTOMER');
    service.smtp.failNext(1, { code: 550, message: 'Mailbox unavailable' });
    const created = await service.publish(
      anEvent('ticket.created', { payload: { requesterId: person.userId, title: 'Given up' } }),
    );
    await waitFor(async () => (await service.deadLetterCount()) === 1, {
      description: 'the message to be parked',
    });
    await service.events.channel.purgeQueue('notification.deliveries.dlq');
    const failed = emailOf(await service.notificationsOf(created.id));
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });

    // As a delay queue hands back a message after its first attempt failed (while, e.g.,
    // the release loop gave up on the email): its second attempt.
    await new Promise<void>((resolve, reject) =>
      service.events.channel.sendToQueue(
        'notification.deliveries',
        Buffer.from(JSON.stringify(created)),
        {
          messageId: created.id,
          type: created.type,
          contentType: 'application/json',
          persistent: true,
          headers: { 'x-attempt': 2, 'x-original-routing-key': created.type },
        },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    await service.waitForProcessed(created.id);

    expect(emailOf(await service.notificationsOf(created.id))).toMatchObject({
      status: 'FAILED',
      attempts: 1,
    });
    expect(mailsAbout(person, 'Given up')).toEqual([]);
    const failures = (await service.outbox('notification.failed')).filter(
      (row) => row.envelope.payload.notificationId === failed?.id,
    );
    expect(failures).toHaveLength(1);
  });

  it('parks the message once transient failures use up its attempts, the email FAILED', async () => {
    const person = await service.registerPerson('CUSTOMER');
    service.smtp.failNext(3, { code: 421, message: 'Service not available' });

    const created = await service.publish(
      anEvent('ticket.created', {
        payload: { requesterId: person.userId },
      }),
    );

    await waitFor(async () => (await service.deadLetterCount()) === 1, {
      description: 'the message to be parked after its last attempt',
    });
    expect(emailOf(await service.notificationsOf(created.id))).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      last_error: 'SMTP 421: Service not available',
    });
    expect(
      (await service.outbox('notification.failed')).some(
        (row) => row.envelope.payload.sourceEventId === created.id,
      ),
    ).toBe(true);
    // Parked for the operator, who can retry the email itself.
    await service.events.channel.purgeQueue('notification.deliveries.dlq');
  });

  it('backs off a transient failure in the release loop, then sends; an admin can retry a FAILED email', async () => {
    const person = await service.registerPerson('CUSTOMER', { timeZone: 'UTC' });
    await withQuietHours(person, '00:00', '23:59');
    service.clock.travelTo(nextLocalTime('UTC', 12, 0));
    const { created, title } = await aKnownTicket(service, person);
    const held = emailOf(await service.notificationsOf(created.id));
    expect(held?.status).toBe('PENDING');

    service.clock.travelTo(
      DateTime.fromJSDate(held!.deliver_after).plus({ minutes: 1 }).toJSDate(),
    );
    service.smtp.failNext(1, { code: 452, message: 'Insufficient storage' });
    const attemptedAt = service.clock.now().getTime();
    expect(await service.release()).toBe(0);
    const waiting = emailOf(await service.notificationsOf(created.id));
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1 });
    // Backed off past the attempt (the clock keeps ticking, so "now" may already be later).
    expect(waiting!.deliver_after.getTime()).toBeGreaterThan(attemptedAt);

    service.clock.advance(MINUTE_MS);
    expect(await service.release()).toBe(1);
    expect(mailsAbout(person, title)).toHaveLength(1);

    // A permanent failure of another held email, then an admin's retry.
    service.clock.travelTo(nextLocalTime('UTC', 12, 0));
    const second = await aKnownTicket(service, person);
    service.clock.advance(12 * 60 * MINUTE_MS);
    service.smtp.failNext(1, { code: 554, message: 'Transaction failed' });
    expect(await service.release()).toBe(0);
    const failed = emailOf(await service.notificationsOf(second.created.id));
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });

    const retried = dataOf(
      await service.instance.query<{ retryNotification: NotificationView }>(
        RETRY,
        { id: failed!.id },
        admin,
      ),
    ).retryNotification;
    expect(retried).toMatchObject({
      status: 'SENT',
      attempts: 1,
      lastError: 'SMTP 554: Transaction failed',
    });
    expect(mailsAbout(person, second.title)).toHaveLength(1);

    const again = await service.instance.query(RETRY, { id: failed!.id }, admin);
    expect(errorOf(again)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const byCustomer = await service.instance.query(RETRY, { id: failed!.id }, person.identity);
    expect(errorOf(byCustomer)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('counts deliveries by channel and outcome', async () => {
    const sentEmails = await scrapeMetric(service.instance.managementUrl, 'notifications_total', {
      channel: 'EMAIL',
      outcome: 'sent',
    });
    const inApp = await scrapeMetric(service.instance.managementUrl, 'notifications_total', {
      channel: 'IN_APP',
      outcome: 'sent',
    });
    const failedEmails = await scrapeMetric(service.instance.managementUrl, 'notifications_total', {
      channel: 'EMAIL',
      outcome: 'failed',
    });
    expect(sentEmails).toBeGreaterThan(0);
    expect(inApp).toBeGreaterThan(0);
    expect(failedEmails).toBeGreaterThanOrEqual(2);
  });
});
