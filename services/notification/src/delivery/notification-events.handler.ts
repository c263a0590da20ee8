import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope, isEvent } from '@servicedesk/contracts';
import { CLOCK, Clock, LOGGER, Logger, inSpan } from '@servicedesk/platform';
import {
  Delivery,
  EventHandler,
  PermanentError,
  TransientError,
  Tx,
  UnitOfWork,
} from '@servicedesk/messaging';
import { RecipientDirectory } from '../directory/recipient-directory.service';
import { NotificationRepository } from '../inbox/notification.repository';
import { isNotifiable } from '../rules/notification-rules';
import { AttemptResult, EmailDelivery, RetryPolicy } from './email-delivery.service';
import { NotificationMetrics } from './notification-metrics';
import { NotificationPlanner } from './notification-planner';

type Failed = Extract<AttemptResult, { outcome: 'failed' | 'retry' }>;

/**
 * Handles every event the service subscribes to (see `notification.subscriptions.ts`).
 * In the message's inbox transaction (`handle`):
 *
 * 1. records the facts it carries (people, ticket titles, erasures) in a transaction of its
 *    own, committed at once: the events of other people must not wait for this one to see
 *    a registration (the facts are idempotent and order-tolerant, so a retry redoes them
 *    harmlessly);
 * 2. stores the notifications it causes in a transaction of its own, committed at once
 *    (in-app ones are delivered by that, and `notification.sent` is emitted with them).
 *
 * Once that committed (`afterCommit`, on every delivery of the message, so a retry finds
 * the inbox record and goes straight here):
 *
 * 3. sends the event's emails that are due now, each claimed and settled in short
 *    transactions of its own (see `EmailDelivery`): no transaction waits on SMTP;
 * 4. fails the message if any email failed: permanently (5xx, bad address) → parked in the
 *    DLQ at once; transiently → retried with backoff through the delay queues (sent ones
 *    are skipped then), or parked on the final attempt after the email is marked FAILED.
 *
 * A recipient the service has not heard of yet (their registration may still be on its
 * way) fails `handle`, after the known recipients' notifications were stored, so the
 * message is retried (their emails go with it, or with the release loop, whichever comes
 * first); on its final attempt the unknown ones are skipped with a warning.
 *
 * Replaying a parked message makes its FAILED emails due again.
 */
@Injectable()
export class NotificationEventsHandler implements EventHandler {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly directory: RecipientDirectory,
    private readonly planner: NotificationPlanner,
    private readonly notifications: NotificationRepository,
    private readonly emails: EmailDelivery,
    private readonly metrics: NotificationMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(event: EventEnvelope, tx: Tx, delivery: Delivery): Promise<void> {
    await this.unitOfWork.run((own) => this.recordFacts(own.manager, event), { separate: true });
    const now = this.clock.now();
    const { notifications: planned, unknownRecipients } = await this.planner.plan(
      tx.manager,
      event,
      now,
    );
    await inSpan(
      'store notifications',
      { attributes: { 'notification.planned': planned.length } },
      () =>
        this.unitOfWork.run(
          async (own) => {
            const inserted = await this.notifications.insertNew(own.manager, planned);
            const inApp = inserted.filter((n) => n.channel === 'IN_APP');
            for (const notification of inApp) await this.emails.emitSent(own, notification);
            this.metrics.record('IN_APP', 'sent', inApp.length);
          },
          { separate: true },
        ),
    );
    this.awaitUnknown(event, unknownRecipients, delivery);
  }

  async afterCommit(event: EventEnvelope, delivery: Delivery): Promise<void> {
    if (!isNotifiable(event)) return;
    const now = this.clock.now();
    const due = await this.unitOfWork.run(async (tx) => {
      // Only a first attempt can be a replay (a replay restarts the count). A retry from a
      // delay queue may find an email the release loop gave up on meanwhile: it stays FAILED.
      if (delivery.attempt === 1) {
        await this.notifications.reopenFailedOfEvent(tx.manager, event.id, now);
      }
      return this.notifications.dueEmailsOfEvent(tx.manager, event.id, now);
    });
    const policy: RetryPolicy = {
      finalAttempt: () => delivery.finalAttempt,
      // The message's own retry (through the delay queues) is the schedule.
      nextAttemptAt: () => null,
    };
    const failures: Failed[] = [];
    for (const id of due) {
      const result = await this.emails.attempt(id, policy);
      if (result.outcome === 'failed' || result.outcome === 'retry') failures.push(result);
    }
    this.raise(event, failures);
  }

  private awaitUnknown(event: EventEnvelope, unknown: string[], delivery: Delivery): void {
    if (unknown.length === 0) return;
    if (!delivery.finalAttempt) {
      throw new TransientError(
        `${event.type} ${event.id}: recipient(s) ${unknown.join(', ')} not known yet`,
      );
    }
    this.logger.warn(
      { eventId: event.id, eventType: event.type, recipientIds: unknown },
      'recipients never registered with the notification service; they were not notified',
    );
  }

  private async recordFacts(manager: EntityManager, event: EventEnvelope): Promise<void> {
    const occurredAt = new Date(event.occurredAt);
    if (isEvent(event, 'user.registered')) {
      await this.directory.recordRegistration(manager, event.payload, occurredAt);
    } else if (isEvent(event, 'user.role_changed')) {
      await this.directory.recordRole(
        manager,
        event.payload.userId,
        event.payload.role,
        occurredAt,
      );
    } else if (isEvent(event, 'user.erased')) {
      await this.directory.erase(manager, event.payload.userId, occurredAt);
    } else if (isEvent(event, 'ticket.created')) {
      await this.directory.recordTicket(manager, event.payload);
    }
  }

  private raise(event: EventEnvelope, failures: Failed[]): void {
    if (failures.length === 0) return;
    const reasons = failures.map((f) => f.failure.reason).join('; ');
    const summary = `${failures.length} email(s) of ${event.type} ${event.id} not sent: ${reasons}`;
    if (failures.some((f) => !f.failure.transient)) throw new PermanentError(summary);
    throw new TransientError(summary);
  }
}
