import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, LOGGER, Logger, inSpan } from '@servicedesk/platform';
import { BackoffPolicy, Tx, UnitOfWork, backoffDelayMs } from '@servicedesk/messaging';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import type { Notification } from '../inbox/notification';
import { NotificationRepository } from '../inbox/notification.repository';
import { EmailLease, EmailLeaseTimes, emailLeaseTimes } from './email-lease';
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
  /** Not this caller's to send or record: sent or failed already, erased, or another attempt's. */
  | { outcome: 'skipped' }
  | { outcome: 'retry'; failure: SmtpFailure }
  | { outcome: 'failed'; failure: SmtpFailure };

/** Tries at marking a sent email SENT: short steps, the lease they must fit in is short too. */
const SENT_MARK_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 1000, jitter: 0.2 };

/** Recorded for an attempt whose claim took so long to commit that a send would outlive it. */
const CLAIMED_TOO_LATE: SmtpFailure = {
  transient: true,
  reason: 'claimed too late to send within its lease',
};

/**
 * Sends one pending email, once however many consumers, retries and release loops reach for
 * it, with no database transaction open while the SMTP server is talked to:
 *
 * 1. a short transaction claims it: counts the attempt and leases the row for longer than
 *    a conversation can take (`email-lease.ts`), so no one else sends it meanwhile;
 * 2. the mail goes out, its Message-ID derived from the notification;
 * 3. a second short transaction marks it SENT and emits `notification.sent`, or records the
 *    failure, if the claim is still its own. Once the server has the mail, this is retried
 *    while the lease lasts: a database away for a moment costs no second copy.
 *
 * A sender that dies between 2 and 3, or whose database stays away past the lease, leaves
 * the lease to expire; the email is then due again and sent again, with the same Message-ID.
 * Must be called outside any transaction of the caller's (it commits its own).
 */
@Injectable()
export class EmailDelivery {
  private readonly leaseTimes: EmailLeaseTimes;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly notifications: NotificationRepository,
    private readonly mailer: Mailer,
    private readonly metrics: NotificationMetrics,
    @Inject(NOTIFICATION_CONFIG) config: NotificationConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.leaseTimes = emailLeaseTimes(config);
  }

  async attempt(id: string, policy: RetryPolicy): Promise<AttemptResult> {
    const lease = new EmailLease(this.clock.now(), this.leaseTimes);
    const email = await this.unitOfWork.run(
      (tx) => this.notifications.claimEmail(tx.manager, id, lease.claimedAt, lease.until),
      { separate: true },
    );
    if (!email) return { outcome: 'skipped' };
    const failure = await this.send(email, lease);
    if (failure) {
      return this.unitOfWork.run((tx) => this.recordFailure(tx, email, failure, policy), {
        separate: true,
      });
    }
    return this.recordSentWithinLease(email, lease);
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

  /** Sends the claimed email; the failure, if it was not accepted. */
  private async send(email: Notification, lease: EmailLease): Promise<SmtpFailure | undefined> {
    if (!lease.maySend(this.clock.now())) return CLAIMED_TOO_LATE;
    try {
      // In the trace of the event that caused the email, when a consumer sends it.
      await inSpan('smtp send', { attributes: { 'notification.id': email.id } }, () =>
        this.mailer.send({
          notificationId: email.id,
          to: email.emailTo ?? '',
          subject: email.title,
          text: email.body,
          html: email.html ?? '',
        }),
      );
      return undefined;
    } catch (error) {
      return classifySmtpFailure(error);
    }
  }

  /**
   * Marks the email SENT, trying again with a short backoff while a try can still end within
   * the lease; past that the error is the caller's, and the email will be sent again.
   */
  private async recordSentWithinLease(
    email: Notification,
    lease: EmailLease,
  ): Promise<AttemptResult> {
    const log = { notificationId: email.id, type: email.type, attempts: email.attempts };
    for (let tries = 1; ; tries += 1) {
      try {
        return await this.unitOfWork.run((tx) => this.recordSent(tx, email), { separate: true });
      } catch (error) {
        this.metrics.recordSentMarkFailure();
        const delayMs = backoffDelayMs(tries, SENT_MARK_BACKOFF);
        if (!lease.mayRecord(new Date(this.clock.now().getTime() + delayMs))) {
          this.logger.error(
            { ...log, err: error, tries, leaseUntil: lease.until },
            'email sent, but not marked SENT within its lease: it will be sent again (same Message-ID)',
          );
          throw error;
        }
        if (tries === 1) {
          this.logger.warn(
            { ...log, err: error, leaseUntil: lease.until },
            'email sent, but marking it SENT failed; trying again while its lease lasts',
          );
        }
        await sleep(delayMs);
      }
    }
  }

  private async recordSent(tx: Tx, email: Notification): Promise<AttemptResult> {
    if (await this.notifications.settleSent(tx.manager, email, this.clock.now())) {
      await this.emitSent(tx, email);
      this.metrics.record('EMAIL', 'sent');
    } else {
      // An earlier try of this claim may also have committed without hearing back.
      this.logger.warn(
        { notificationId: email.id, type: email.type, attempts: email.attempts },
        'email sent, but its claim was no longer its own (lapsed, erased, or already recorded): not recorded again',
      );
    }
    return { outcome: 'sent' };
  }

  private async recordFailure(
    tx: Tx,
    email: Notification,
    failure: SmtpFailure,
    policy: RetryPolicy,
  ): Promise<AttemptResult> {
    const { attempts } = email;
    const log = { notificationId: email.id, type: email.type, attempts, reason: failure.reason };
    if (failure.transient && !policy.finalAttempt(attempts)) {
      const nextAttemptAt = policy.nextAttemptAt(attempts, this.clock.now());
      if (
        !(await this.notifications.settleRetry(tx.manager, email, failure.reason, nextAttemptAt))
      ) {
        return { outcome: 'skipped' };
      }
      this.metrics.record('EMAIL', 'retry');
      this.logger.warn(log, 'email not sent; it will be tried again');
      return { outcome: 'retry', failure };
    }
    if (!(await this.notifications.settleFailed(tx.manager, email, failure.reason))) {
      return { outcome: 'skipped' };
    }
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
