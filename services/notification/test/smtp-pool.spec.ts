import { EventEnvelope } from '@servicedesk/contracts';
import { anEvent } from '@servicedesk/testing';
import {
  NotificationRow,
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

const FROM_DOMAIN = 'pool.example.org';

/**
 * Emails go over a pool of SMTP connections kept open between mails. A pooled connection
 * that breaks in the middle of a message loses no mail and doubles none: the message goes
 * again over another connection, under the same claim and with the same Message-ID.
 */
describe('notification service: pooled SMTP connections', () => {
  let service: NotificationServiceFixture;
  let customer: Person;
  let agent: Person;

  beforeAll(async () => {
    service = await startNotificationService(
      {
        NOTIFICATION_EMAIL_FROM: `Help Desk <help@${FROM_DOMAIN}>`,
        NOTIFICATION_SMTP_POOL_SIZE: '1',
      },
      { stallingSmtp: true },
    );
    customer = await service.registerPerson('CUSTOMER');
    agent = await service.registerPerson('AGENT');
  });

  afterAll(() => service?.close());

  /** An appointment booked by `customer` with `agent`: an email to each of them. */
  async function aBooking(): Promise<EventEnvelope<'appointment.booked'>> {
    return service.publish(
      anEvent('appointment.booked', {
        actor: { id: customer.userId, role: 'CUSTOMER' },
        payload: { customerId: customer.userId, agentId: agent.userId },
      }),
    );
  }

  async function sentEmailsOf(eventId: string): Promise<NotificationRow[]> {
    const rows = await service.waitForNotifications(
      eventId,
      (found) =>
        found.filter((row) => row.channel === 'EMAIL' && row.status === 'SENT').length === 2,
      'both emails of the booking sent',
    );
    return rows.filter((row) => row.channel === 'EMAIL');
  }

  const mailsWithId = (notificationId: string) =>
    service.smtp.mails.filter(
      (mail) => mail.headers['message-id'] === `<${notificationId}@${FROM_DOMAIN}>`,
    );

  it('sends several mails over one connection', async () => {
    const connectionsBefore = service.smtpFront!.connections;
    const bookings = [await aBooking(), await aBooking(), await aBooking()];
    const emails = [];
    for (const booking of bookings) emails.push(...(await sentEmailsOf(booking.id)));

    expect(emails).toHaveLength(6);
    for (const email of emails) expect(mailsWithId(email.id)).toHaveLength(1);
    // At most the one a pool opens when it has none yet.
    expect(service.smtpFront!.connections - connectionsBefore).toBeLessThanOrEqual(1);
  });

  it('loses and doubles no mail when a pooled connection breaks in the middle of a message', async () => {
    const dropped = service.smtpFront!.dropNextMessage();
    const connectionsBefore = service.smtpFront!.connections;
    const booking = await aBooking();
    await dropped;

    const emails = await sentEmailsOf(booking.id);
    for (const email of emails) {
      expect(mailsWithId(email.id)).toHaveLength(1);
      const sent = (await service.outbox('notification.sent')).filter(
        (row) => row.envelope.payload.notificationId === email.id,
      );
      expect(sent).toHaveLength(1);
    }
    // The broken connection was replaced.
    expect(service.smtpFront!.connections).toBeGreaterThan(connectionsBefore);
  });
});
