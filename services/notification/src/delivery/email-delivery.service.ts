import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, LOGGER, Logger, inSpan } from '@servicedesk/platform';
import { EntityManager } from 'typeorm';
import { BackoffPolicy, Tx, UnitOfWork, backoffDelayMs } from '@servicedesk/messaging';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import type { Notification } from '../inbox/notification';
import { LeaseWindow, NotificationRepository } from '../inbox/notification.repository';
import { EmailLease, EmailLeaseTimes, emailLeaseTimes } from './email-lease';
import { Mailer } from './mailer';
import { SendSlots } from './send-slots';
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

/** Claims, in one statement through `manager`, the emails an attempt is to send under `lease`. */
export type EmailClaim = (manager: EntityManager, lease: LeaseWindow) => Promise<Notification[]>;

/**
 * Runs work about one email in the trace and correlation context of the event that caused it
 * (its message's `Delivery.within`), when the emails of several events go together.
 */
export type EmailContext = <T>(email: Notification, work: () => Promise<T>) => Promise<T>;

const inCurrentContext: EmailContext = (_email, work) => work();

/** What became of one claimed email. */
export interface EmailOutcome {
  email: Notification;
  result: AttemptResult;
}

/**
 * Sends pending emails, each once however many consumers, retries and release loops reach
 * for it, with no database transaction open while the SMTP server is talked to:
 *
 * 1. one statement claims them all: counts each one's attempt and leases its row for longer
 *    than a conversation can take (`email-lease.ts`), so no one else sends them meanwhile;
 * 2. the mails go out at once, over the mailer's pooled connections, each with its
 *    Message-ID derived from its notification;
 * 3. one short transaction marks the accepted ones SENT and emits their `notification.sent`,
 *    for those whose claim is still its own. Once the server has the mails, this is retried
 *    while the lease lasts: a database away for a moment costs no second copy. Each refused
 *    one has its failure recorded in a transaction of its own (the rare path).
 *
 * A sender that dies between 2 and 3, or whose database stays away past the lease, leaves
 * the lease to expire; the email is then due again and sent again, with the same Message-ID.
 * Must be called outside any transaction of the caller's (it commits its own).
 */
@Injectable()
export class EmailDelivery {
  /** Emails claimed together: as many as the mailer has SMTP connections. */
  readonly batchSize: number;
  private readonly leaseTimes: EmailLeaseTimes;
  private readonly slots: SendSlots;

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
    this.batchSize = config.NOTIFICATION_SMTP_POOL_SIZE;
    this.slots = new SendSlots(config.NOTIFICATION_SMTP_POOL_SIZE);
  }

  /**
   * One attempt at each email `claim` takes (nothing for those it does not), the failures
   * judged by `policy`, or by the policy it gives for each email. Each email is sent, logged
   * and reported (`notification.sent`, `notification.failed`) `within` its own event's context.
   */
  async attempt(
    claim: EmailClaim,
    policy: RetryPolicy | ((email: Notification) => RetryPolicy),
    within: EmailContext = inCurrentContext,
  ): Promise<EmailOutcome[]> {
    const policyOf = typeof policy === 'function' ? policy : () => policy;
    const lease = new EmailLease(this.clock.now(), this.leaseTimes);
    // A single statement commits on its own: no transaction block around it.
    const emails = await claim(this.unitOfWork.dataSource.manager, lease);
    if (emails.length === 0) return [];
    const failures = await Promise.all(
      emails.map((email) => within(email, () => this.send(email, lease))),
    );
    const sent = emails.filter((_, index) => !failures[index]);
    if (sent.length > 0) await this.recordSentWithinLease(sent, lease, within);
    const outcomes: EmailOutcome[] = [];
    for (const [index, email] of emails.entries()) {
      const failure = failures[index];
      const result: AttemptResult = failure
        ? await within(email, () =>
            this.unitOfWork.run((tx) => this.recordFailure(tx, email, failure, policyOf(email)), {
              separate: true,
            }),
          )
        : { outcome: 'sent' };
      outcomes.push({ email, result });
    }
    return outcomes;
  }

  /** One attempt at each of the emails `ids` still pending and not being sent. */
  attemptEmails(ids: readonly string[], policy: RetryPolicy): Promise<EmailOutcome[]> {
    return this.attempt(
      (manager, lease) => this.notifications.claimEmails(manager, ids, lease),
      policy,
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

  /** Sends the claimed email once a connection is free; the failure, if it was not accepted. */
  private send(email: Notification, lease: EmailLease): Promise<SmtpFailure | undefined> {
    return this.slots.run(() => this.sendNow(email, lease));
  }

  private async sendNow(email: Notification, lease: EmailLease): Promise<SmtpFailure | undefined> {
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
   * Marks the emails SENT, trying again with a short backoff while a try can still end within
   * the lease; past that the error is the caller's, and the emails will be sent again.
   */
  private async recordSentWithinLease(
    emails: Notification[],
    lease: EmailLease,
    within: EmailContext,
  ): Promise<void> {
    const log = { notificationIds: emails.map((email) => email.id) };
    for (let tries = 1; ; tries += 1) {
      try {
        const recorded = await this.unitOfWork.run((tx) => this.recordSent(tx, emails, within), {
          separate: true,
        });
        this.metrics.record('EMAIL', 'sent', recorded);
        return;
      } catch (error) {
        this.metrics.recordSentMarkFailure();
        const delayMs = backoffDelayMs(tries, SENT_MARK_BACKOFF);
        if (!lease.mayRecord(new Date(this.clock.now().getTime() + delayMs))) {
          this.logger.error(
            { ...log, err: error, tries, leaseUntil: lease.until },
            'emails sent, but not marked SENT within their lease: they will be sent again (same Message-ID)',
          );
          throw error;
        }
        if (tries === 1) {
          this.logger.warn(
            { ...log, err: error, leaseUntil: lease.until },
            'emails sent, but marking them SENT failed; trying again while their lease lasts',
          );
        }
        await sleep(delayMs);
      }
    }
  }

  /** Marks the emails SENT whose claims are still their own; returns how many it marked. */
  private async recordSent(tx: Tx, emails: Notification[], within: EmailContext): Promise<number> {
    const recorded = new Set(
      await this.notifications.settleSent(tx.manager, emails, this.clock.now()),
    );
    for (const email of emails) {
      if (recorded.has(email.id)) continue;
      // An earlier try of this claim may also have committed without hearing back.
      this.logger.warn(
        { notificationId: email.id, type: email.type, attempts: email.attempts },
        'email sent, but its claim was no longer its own (lapsed, erased, or already recorded): not recorded again',
      );
    }
    // Issued together (order among them does not matter): the outbox writes them in one
    // statement, each with its own event's trace headers.
    await Promise.all(
      emails
        .filter((email) => recorded.has(email.id))
        .map((email) => within(email, () => this.emitSent(tx, email))),
    );
    return recorded.size;
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
