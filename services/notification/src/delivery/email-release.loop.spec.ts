import { DataSource } from 'typeorm';
import { createLogger } from '@servicedesk/platform';
import { TestClock } from '@servicedesk/testing';
import { loadNotificationConfig } from '../config';
import { NotificationRepository } from '../inbox/notification.repository';
import { AttemptResult, EmailDelivery } from './email-delivery.service';
import { EmailReleaseLoop } from './email-release.loop';

describe('the email release loop', () => {
  const due = ['a', 'b', 'c'].map((id) => ({ id, deliverAfter: new Date() }));

  function aLoop(attempt: (id: string) => Promise<AttemptResult>): EmailReleaseLoop {
    const notifications = { dueEmails: jest.fn().mockResolvedValue(due) };
    return new EmailReleaseLoop(
      { manager: {} } as DataSource,
      notifications as unknown as NotificationRepository,
      { attempt } as unknown as EmailDelivery,
      loadNotificationConfig({ NOTIFICATION_RELEASE_INTERVAL_MS: '0' }),
      new TestClock(),
      createLogger('test', 'silent'),
    );
  }

  it('stops between two emails once the application shuts down', async () => {
    const attempted: string[] = [];
    let shutdown: Promise<void> | undefined;
    const loop = aLoop(async (id) => {
      attempted.push(id);
      shutdown ??= loop.beforeApplicationShutdown();
      return { outcome: 'sent' };
    });

    expect(await loop.release()).toBe(1);
    await shutdown;

    expect(attempted).toEqual(['a']);
  });

  it('goes through the whole batch otherwise', async () => {
    const loop = aLoop(async () => ({ outcome: 'sent' }));

    expect(await loop.release()).toBe(3);
  });
});
