import { anEvent, scrapeMetric, waitFor } from '@servicedesk/testing';
import {
  NotificationRow,
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

const HOUR_MS = 3_600_000;
const FROM_DOMAIN = 'desk.example.org';

/**
 * An email is sent with no database transaction open, under a lease its claim committed,
 * and carries a Message-ID derived from its notification. Its SENT mark is retried while the
 * lease lasts; a mail that had to be sent again (the mark lost for longer) is recognisably
 * the same mail.
 */
describe('notification service: sending an email', () => {
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    service = await startNotificationService(
      { NOTIFICATION_EMAIL_FROM: `Help Desk <help@${FROM_DOMAIN}>` },
      { databaseProxy: true },
    );
  });

  afterAll(() => service?.close());

  afterEach(() => service.clock.travelTo(new Date()));

  const messageIdOf = (notificationId: string) => `<${notificationId}@${FROM_DOMAIN}>`;

  async function aTicketFor(person: Person, title: string) {
    return service.publish(
      anEvent('ticket.created', { payload: { requesterId: person.userId, title } }),
    );
  }

  async function theEmailOf(eventId: string): Promise<NotificationRow> {
    const rows = await service.waitForNotifications(
      eventId,
      (found) => found.some((row) => row.channel === 'EMAIL'),
      'the email row',
    );
    return rows.find((row) => row.channel === 'EMAIL') as NotificationRow;
  }

  /** Locks other sessions hold on the tables a delivery writes, as a transaction left open would. */
  async function locksOnDeliveryTables(): Promise<Array<{ relname: string; mode: string }>> {
    const { rows } = await service.db.query<{ relname: string; mode: string }>(
      `SELECT c.relname, l.mode FROM pg_locks l
       JOIN pg_class c ON c.oid = l.relation
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND n.nspname = 'notification' AND c.relname IN ('notifications', 'inbox')
         AND l.pid <> pg_backend_pid()`,
    );
    return rows;
  }

  async function sentEventsOf(notificationId: string): Promise<number> {
    const sent = await service.outbox('notification.sent');
    return sent.filter((row) => row.envelope.payload.notificationId === notificationId).length;
  }

  /** Failed tries at marking a sent email SENT, so far. */
  async function failedSentMarks(): Promise<number> {
    return (
      (await scrapeMetric(
        service.instance.managementUrl,
        'notification_sent_mark_failures_total',
      )) ?? 0
    );
  }

  /** Deliveries of `notification.deliveries` the consumer handed back for a retry, so far. */
  async function retriedDeliveries(): Promise<number> {
    const retried = await scrapeMetric(service.instance.managementUrl, 'messaging_consumed_total', {
      queue: 'notification.deliveries',
      outcome: 'retried',
    });
    return retried ?? 0;
  }

  it('carries a Message-ID made of the notification id and the sender domain', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const created = await aTicketFor(person, 'Identified mail');

    const mail = await service.smtp.waitForMail(
      (m) => m.to.includes(person.email) && m.subject.includes('Identified mail'),
      'the ticket confirmation',
    );
    const email = await theEmailOf(created.id);
    expect(mail.headers['message-id']).toBe(messageIdOf(email.id));
  });

  it('holds no transaction open while the SMTP server receives the mail', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const held = service.smtp.holdNext();
    const created = await aTicketFor(person, 'Patiently received');

    await held.received;
    try {
      expect(await locksOnDeliveryTables()).toEqual([]);
      // The message's effects and the claim on the email are committed: visible from here.
      const { rows: inbox } = await service.db.query(
        'SELECT 1 FROM notification.inbox WHERE message_id = $1',
        [created.id],
      );
      expect(inbox).toHaveLength(1);
      const email = await theEmailOf(created.id);
      const { rows: leases } = await service.db.query<{ leased: boolean }>(
        `SELECT sending_until > $2 AS leased FROM notification.notifications WHERE id = $1`,
        [email.id, service.clock.now()],
      );
      expect({ status: email.status, leased: leases[0].leased }).toEqual({
        status: 'PENDING',
        leased: true,
      });
    } finally {
      held.release();
    }

    const sent = await service.waitForNotifications(
      created.id,
      (rows) => rows.every((row) => row.status === 'SENT'),
      'the email marked SENT',
    );
    expect(sent.find((row) => row.channel === 'EMAIL')).toMatchObject({ attempts: 1 });
  });

  it('leaves an email being sent to its sender: another claimer sends nothing', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const held = service.smtp.holdNext();
    const created = await aTicketFor(person, 'Claimed once');

    await held.received;
    try {
      // The release loop of this or any replica looks at the same row while the mail is out.
      expect(await service.release()).toBe(0);
    } finally {
      held.release();
    }

    await service.waitForProcessed(created.id);
    const email = await theEmailOf(created.id);
    expect(email).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(
      service.smtp.mailsTo(person.email).filter((m) => m.subject.includes('Claimed once')),
    ).toHaveLength(1);
    expect(await sentEventsOf(email.id)).toBe(1);
  });

  it('sends once when the database goes away between the acceptance and the SENT mark', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const proxy = service.databaseProxy!;
    const marksFailedBefore = await failedSentMarks();
    const held = service.smtp.holdNext();
    const created = await aTicketFor(person, 'Briefly cut off');

    // The server has the mail; the database goes away before its acceptance is recorded,
    // and stays away across more than one try at recording it.
    await held.received;
    proxy.cut();
    held.release();
    await waitFor(async () => (await failedSentMarks()) >= marksFailedBefore + 2, {
      description: 'two failed tries at marking the email SENT',
    });
    proxy.restore();

    const email = await waitFor(
      async () => {
        const row = await theEmailOf(created.id);
        return row.status === 'SENT' && row;
      },
      { description: 'the email marked SENT once the database is back' },
    );
    expect(email.attempts).toBe(1);
    expect(
      service.smtp.mailsTo(person.email).filter((m) => m.subject.includes('Briefly cut off')),
    ).toHaveLength(1);
    expect(await sentEventsOf(email.id)).toBe(1);
  });

  it('sends again, with the same Message-ID, only once the lease ran out without the SENT mark', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const proxy = service.databaseProxy!;
    const marksFailedBefore = await failedSentMarks();
    const retriedBefore = await retriedDeliveries();
    const held = service.smtp.holdNext();
    const created = await aTicketFor(person, 'Cut off mid-send');

    await held.received;
    proxy.cut();
    held.release();
    await waitFor(async () => (await failedSentMarks()) > marksFailedBefore, {
      description: 'a failed try at marking the email SENT',
    });
    // The lease runs out with the database still away: the sender gives up its mark, and
    // the delivery fails, to be retried.
    service.clock.advance(HOUR_MS);
    await waitFor(async () => (await retriedDeliveries()) > retriedBefore, {
      description: 'the delivery handed back once the mark was given up',
    });
    proxy.restore();

    const email = await waitFor(
      async () => {
        await service.release();
        const row = await theEmailOf(created.id);
        return row.status === 'SENT' && row;
      },
      { description: 'the email marked SENT after the database came back' },
    );

    const copies = service.smtp
      .mailsTo(person.email)
      .filter((m) => m.subject.includes('Cut off mid-send'));
    expect(copies.map((m) => m.headers['message-id'])).toEqual([
      messageIdOf(email.id),
      messageIdOf(email.id),
    ]);
    expect(email.attempts).toBe(2);
    expect(await sentEventsOf(email.id)).toBe(1);
  });
});
