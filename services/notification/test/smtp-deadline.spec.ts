import { anEvent, waitFor } from '@servicedesk/testing';
import {
  NotificationRow,
  NotificationServiceFixture,
  startNotificationService,
} from './notification-service.fixture';

const SMTP_TIMEOUT_MS = 1000;
/** Time for the abort to land and the failed attempt to be recorded. */
const RECORDING_MARGIN_MS = 1000;
/** The stalling server writes this often: well within any inactivity timeout of the sender. */
const TRICKLE_MS = SMTP_TIMEOUT_MS / 5;

/**
 * One SMTP conversation ends at NOTIFICATION_SMTP_TIMEOUT_MS whatever phase it is in, so an
 * email's lease always outlasts its send, even to a server that keeps the sender waiting.
 */
describe('notification service: the deadline of one SMTP conversation', () => {
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    service = await startNotificationService(
      {
        NOTIFICATION_SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS),
        // A connection per mail: the front stalls the next connection, not a pooled one.
        NOTIFICATION_SMTP_MAX_MESSAGES_PER_CONNECTION: '1',
      },
      { stallingSmtp: true },
    );
  });

  afterAll(() => service?.close());

  async function theEmailOf(eventId: string): Promise<NotificationRow> {
    const rows = await service.notificationsOf(eventId);
    return rows.find((row) => row.channel === 'EMAIL') as NotificationRow;
  }

  it('aborts a conversation the server keeps alive past the deadline, and sends the email later', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const stalled = service.smtpFront!.stallNext(TRICKLE_MS);
    const created = await service.publish(
      anEvent('ticket.created', { payload: { requesterId: person.userId, title: 'Kept waiting' } }),
    );

    // The server has the whole message and trickles a reply it never finishes.
    await stalled.stalled;
    const failed = await waitFor(
      async () => {
        const email = await theEmailOf(created.id);
        return email?.last_error !== null && email;
      },
      {
        description: 'the stalled attempt recorded as a transient failure',
        timeoutMs: SMTP_TIMEOUT_MS + RECORDING_MARGIN_MS + 1000,
      },
    );
    expect(failed.last_error).toBe('SMTP conversation outlasted its deadline');
    expect(failed.status).not.toBe('FAILED');
    expect(await stalled.ended).toBeLessThanOrEqual(SMTP_TIMEOUT_MS + RECORDING_MARGIN_MS);

    // Nothing holds the email: the delivery's retry sends it, through to the real server.
    await service.waitForNotifications(
      created.id,
      (rows) => rows.every((row) => row.status === 'SENT'),
      'the email sent on a later attempt',
    );
    expect(await theEmailOf(created.id)).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(
      service.smtp.mailsTo(person.email).filter((m) => m.subject.includes('Kept waiting')),
    ).toHaveLength(1);
  });
});
