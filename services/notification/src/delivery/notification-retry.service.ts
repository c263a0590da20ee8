import { Inject, Injectable } from '@nestjs/common';
import { BadUserInputError, CLOCK, Clock, NotFoundError } from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import type { Notification } from '../inbox/notification';
import { NotificationRepository } from '../inbox/notification.repository';
import { EmailDelivery, RetryPolicy } from './email-delivery.service';
import { releaseRetryPolicy } from './retry-policy';

/** An operator's second chance for a FAILED email: a fresh budget of attempts, the first one now. */
@Injectable()
export class NotificationRetry {
  private readonly policy: RetryPolicy;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly emails: EmailDelivery,
    @Inject(NOTIFICATION_CONFIG) config: NotificationConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.policy = releaseRetryPolicy(config);
  }

  async retry(id: string): Promise<Notification> {
    // Committed before the attempt, which claims the row in a transaction of its own.
    await this.unitOfWork.run(async (tx) => {
      if (await this.notifications.reopenFailed(tx.manager, id, this.clock.now())) return;
      const existing = await this.notifications.findById(tx.manager, id);
      if (!existing) throw new NotFoundError('Notification', id);
      throw new BadUserInputError(
        'id',
        `id: only a FAILED email can be retried (it is ${existing.channel} ${existing.status})`,
      );
    });
    await this.emails.attemptEmails([id], this.policy);
    const notification = await this.unitOfWork.run((tx) =>
      this.notifications.findById(tx.manager, id),
    );
    if (!notification) throw new NotFoundError('Notification', id);
    return notification;
  }
}
