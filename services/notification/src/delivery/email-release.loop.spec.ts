import { DataSource } from 'typeorm';
import { createLogger } from '@servicedesk/platform';
import { TestClock } from '@servicedesk/testing';
import { loadNotificationConfig } from '../config';
import { NotificationRepository } from '../inbox/notification.repository';
import { EmailDelivery, EmailOutcome } from './email-delivery.service';
import type { Notification } from '../inbox/notification';
import { EmailReleaseLoop } from './email-release.loop';

describe('the email release loop', () => {
  const due = ['a', 'b', 'c'].map((id) => ({ id, deliverAfter: new Date() }));

  /** A loop over `due` whose attempts `attempt` answers, `batchSize` emails at a time. */
  function aLoop(attempt: (ids: string[]) => Promise<void>, batchSize = 1): EmailReleaseLoop {
    const notifications = { dueEmails: jest.fn().mockResolvedValue(due) };
    const attemptEmails = async (ids: string[]): Promise<EmailOutcome[]> => {
      await attempt(ids);
      return ids.map((id) => ({ email: { id } as Notification, result: { outcome: 'sent' } }));
    };
    return new EmailReleaseLoop(
      { manager: {} } as DataSource,
      notifications as unknown as NotificationRepository,
      { attemptEmails, batchSize } as unknown as EmailDelivery,
      loadNotificationConfig({ NOTIFICATION_RELEASE_INTERVAL_MS: '0' }),
      new TestClock(),
      createLogger('test', 'silent'),
    );
  }

  it('stops between two emails once the application shuts down', async () => {
    const attempted: string[][] = [];
    let shutdown: Promise<void> | undefined;
    const loop = aLoop(async (ids) => {
      attempted.push(ids);
      shutdown ??= loop.beforeApplicationShutdown();
    });

    expect(await loop.release()).toBe(1);
    await shutdown;

    expect(attempted).toEqual([['a']]);
  });

  it('goes through the whole batch otherwise', async () => {
    const loop = aLoop(async () => undefined);

    expect(await loop.release()).toBe(3);
  });

  it('sends as many emails at once as the mailer takes', async () => {
    const attempted: string[][] = [];
    const loop = aLoop(async (ids) => {
      attempted.push(ids);
    }, 2);

    expect(await loop.release()).toBe(3);
    expect(attempted).toEqual([['a', 'b'], ['c']]);
  });
});
