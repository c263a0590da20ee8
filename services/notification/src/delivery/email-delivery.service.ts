import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, LOGGER, Logger } from '@servicedesk/platform';
import { Tx, UnitOfWork } from '@servicedesk/messaging';
import type { Notification } from '../inbox/notification';
import { NotificationRepository } from '../inbox/notification.repository';
import { Mailer } from './mailer';
import { NotificationMetrics } from './notification-metrics';
import { SmtpFailure, classifySmtpFailure } from './smtp-failure';

/** What the caller of an attempt decides about a transient failure. */
export interface RetryPolicy {
  /** Whether a transient failure at this attempt (1-based) is the last one allowed. */
  finalAttempt(attempts: number): boolean;
  /** When the email is due again after a transient failure; null leaves it due now. */
  nextAttemptAt(attempts: number, now: Date): Date | null;
}

export type AttemptResult =
  | { outcome: 'sent' }
  /** Not sendable by this caller now: sent or failed already, erased, or being sent by another. */
  | { outcome: 'skipped' }
  | { outcome: 'retry'; failure: SmtpFailure }
  | { outcome: 'failed'; failure: SmtpFailure };

/**
 * Sends one pending email, exactly once however many consumers, retries and release loops
 * reach for it: the row is claimed (`FOR UPDATE SKIP LOCKED`) in a transaction of its own,
 * the mail goes out, and that same transaction marks it SENT and emits `notification.sent`,
 * or records the failure. Its outcome commits on its own, so a retry of the surrounding
 * work never sends a mail that went out.
 */
@Injectable()
export class EmailDelivery {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly mailer: Mailer,
    private readonly metrics: NotificationMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  attempt(id: string, policy: RetryPolicy): Promise<AttemptResult> {
    return this.unitOfWork.run(
      async (tx) => {
        const email = await this.notifications.claimEmail(tx.manager, id);
        if (!email) return { outcome: 'skipped' };
        const attempts = email.attempts + 1;
        try {
          await this.mailer.send({
            to: email.emailTo ?? '',
            subject: email.title,
            text: email.body,
            html: email.html ?? '',
          });
        } catch (error) {
          return this.recordFailure(tx, email, attempts, classifySmtpFailure(error), policy);
        }
        await this.notifications.markSent(tx.manager, id, attempts, this.clock.now());
        await this.emitSent(tx, email);
        this.metrics.record('EMAIL', 'sent');
        return { outcome: 'sent' };
      },
      { separate: true },
    );
  }

  async emitSent(tx: Tx, notification: Notification): Promise<void> {
    await tx.emit({
      type: 'notification.sent',
      aggregateId: notification.id,
      payload: {
        notificationId: notification.id,
        recipientId: notification.recipientId,
        channel: notification.channel,
        sourceEventId: notification.sourceEventId,
      },
    });
  }

  private async recordFailure(
    tx: Tx,
    email: Notification,
    attempts: number,
    failure: SmtpFailure,
    policy: RetryPolicy,
  ): Promise<AttemptResult> {
    const log = { notificationId: email.id, type: email.type, attempts, reason: failure.reason };
    if (failure.transient && !policy.finalAttempt(attempts)) {
      const now = this.clock.now();
      await this.notifications.recordRetry(
        tx.manager,
        email.id,
        attempts,
        failure.reason,
        policy.nextAttemptAt(attempts, now),
      );
      this.metrics.record('EMAIL', 'retry');
      this.logger.warn(log, 'email not sent; it will be tried again');
      return { outcome: 'retry', failure };
    }
    await this.notifications.markFailed(tx.manager, email.id, attempts, failure.reason);
    await tx.emit({
      type: 'notification.failed',
      aggregateId: email.id,
      payload: {
        notificationId: email.id,
        recipientId: email.recipientId,
        channel: 'EMAIL',
        sourceEventId: email.sourceEventId,
        error: failure.reason,
      },
    });
    this.metrics.record('EMAIL', 'failed');
    this.logger.error(
      { ...log, permanent: !failure.transient },
      'email given up: marked FAILED (an admin can retry it)',
    );
    return { outcome: 'failed', failure };
  }
}
