import { anEvent, scrapeMetric, waitFor } from '@servicedesk/testing';
import {
  NotificationRow,
  NotificationServiceFixture,
  startNotificationService,
} from './notification-service.fixture';

const VOLUME_THRESHOLD = 3;
const RESET_TIMEOUT_MS = 1500;

/**
 * An SMTP server that keeps refusing opens its breaker: sends then fail at once as transient
 * failures without contacting it, and once it takes mail again the email goes out by itself.
 */
describe('notification service: the circuit breaker of the SMTP server', () => {
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    service = await startNotificationService({
      CIRCUIT_BREAKER_VOLUME_THRESHOLD: String(VOLUME_THRESHOLD),
      CIRCUIT_BREAKER_RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS),
      // Enough retries, 50-200 ms apart, to outlast the open breaker.
      CONSUMER_MAX_ATTEMPTS: '40',
    });
  });

  afterAll(() => service?.close());

  const smtpBreaker = () =>
    scrapeMetric(service.instance.managementUrl, 'circuit_breaker_state', { dependency: 'smtp' });

  const mailsAbout = (title: string, address: string) =>
    service.smtp.mailsTo(address).filter((mail) => mail.subject.includes(title));

  async function theEmailOf(eventId: string): Promise<NotificationRow | undefined> {
    const rows = await service.notificationsOf(eventId);
    return rows.find((row) => row.channel === 'EMAIL');
  }

  it('opens on a refusing server, fails sends fast as transient without contacting it, and sends once it is back', async () => {
    const person = await service.registerPerson('CUSTOMER');
    expect(await smtpBreaker()).toBe(0);
    service.smtp.failNext(VOLUME_THRESHOLD, { code: 421, message: 'Service not available' });

    const created = await service.publish(
      anEvent('ticket.created', { payload: { requesterId: person.userId, title: 'Mail is down' } }),
    );

    // The server refused the first tries (its welcome email went through before); then the
    // breaker refused one without contacting it.
    const failedFast = await waitFor(
      async () => {
        const email = await theEmailOf(created.id);
        return email?.last_error?.includes('circuit breaker of smtp is open') && email;
      },
      { description: 'an attempt refused by the open breaker' },
    );
    expect(failedFast.status).toBe('PENDING');
    expect(service.smtp.rejected).toBeLessThanOrEqual(VOLUME_THRESHOLD);
    expect(mailsAbout('Mail is down', person.email)).toHaveLength(0);
    expect(await smtpBreaker()).toBeGreaterThan(0);

    // The server takes mail again: after the reset timeout a retry probes it, and goes out.
    await service.waitForNotifications(
      created.id,
      (rows) => rows.every((row) => row.status === 'SENT'),
      'the email sent once the breaker let a try through',
    );
    expect(mailsAbout('Mail is down', person.email)).toHaveLength(1);
    expect(service.smtp.rejected).toBe(VOLUME_THRESHOLD);
    expect(await smtpBreaker()).toBe(0);
  });

  it('never opens on permanent refusals, which show the server working', async () => {
    const person = await service.registerPerson('CUSTOMER');
    service.smtp.failNext(2 * VOLUME_THRESHOLD, { code: 550, message: 'No such user' });
    const events = [];
    for (let count = 0; count < 2 * VOLUME_THRESHOLD; count += 1) {
      events.push(
        await service.publish(
          anEvent('ticket.created', { payload: { requesterId: person.userId, title: 'Bounce' } }),
        ),
      );
    }

    await Promise.all(
      events.map((event) =>
        service.waitForNotifications(
          event.id,
          (rows) => rows.some((row) => row.channel === 'EMAIL' && row.status === 'FAILED'),
          'the email given up on a permanent refusal',
        ),
      ),
    );

    expect(await smtpBreaker()).toBe(0);
  });
});
