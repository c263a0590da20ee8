import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope, EventPayload, EventType, isEvent } from '@servicedesk/contracts';
import { CLOCK, Clock, LOGGER, Logger, inSpan } from '@servicedesk/platform';
import {
  BatchEventHandler,
  Delivery,
  PermanentError,
  TransientError,
  Tx,
  UnitOfWork,
} from '@servicedesk/messaging';
import { RecipientDirectory } from '../directory/recipient-directory.service';
import type { Notification } from '../inbox/notification';
import { NotificationRepository } from '../inbox/notification.repository';
import { isNotifiable } from '../rules/notification-rules';
import { AttemptResult, EmailDelivery, RetryPolicy } from './email-delivery.service';
import { NotificationMetrics } from './notification-metrics';
import { NotificationPlanner } from './notification-planner';

type Failed = Extract<AttemptResult, { outcome: 'failed' | 'retry' }>;

/**
 * Claims of one batch's emails under way at once: each holds a database connection only for
 * its claim and its SENT mark, which overlap the others' SMTP conversations.
 */
const CLAIMS_IN_FLIGHT = 4;

/** Where `handle` can undo the facts of a message that has to wait for a recipient. */
const FACTS_SAVEPOINT = 'notification_facts';

/** The event types whose facts the directory records (see `recordFacts`). */
const FACT_EVENTS: ReadonlySet<string> = new Set<EventType>([
  'user.registered',
  'user.role_changed',
  'user.erased',
  'ticket.created',
]);

function carriesFacts(event: EventEnvelope): boolean {
  return FACT_EVENTS.has(event.type);
}

/** An email sent for a message: the message's own retry (through the delay queues) is the schedule. */
function messageRetryPolicy(delivery: Delivery): RetryPolicy {
  return { finalAttempt: () => delivery.finalAttempt, nextAttemptAt: () => null };
}

/**
 * Handles every event the service subscribes to (see `notification.subscriptions.ts`).
 * In the message's inbox transaction (`handle`), which holds nothing slow:
 *
 * 1. records the facts it carries (people, ticket titles, erasures); they are idempotent and
 *    order-tolerant, so a retry redoes them harmlessly;
 * 2. plans the notifications it causes (reading those facts) and stores them in one
 *    statement, with `notification.sent` for the in-app ones (delivered by being stored).
 *
 * Once that committed (`afterCommit`, on every delivery of the message, so a retry finds
 * the inbox record and goes straight here):
 *
 * 3. sends the event's emails that are due now, claimed together and settled in short
 *    statements of their own (see `EmailDelivery`): no transaction waits on SMTP;
 * 4. fails the message if any email failed: permanently (5xx, bad address) → parked in the
 *    DLQ at once; transiently → retried with backoff through the delay queues (sent ones
 *    are skipped then), or parked on the final attempt after the email is marked FAILED.
 *
 * A recipient the service has not heard of yet (their registration may still be on its
 * way) fails `handle`, so the message is retried (their emails go with it, or with the
 * release loop, whichever comes first); on its final attempt the unknown ones are skipped
 * with a warning. The facts and the known recipients' notifications must not wait for the
 * retry, since the events of other people may need a registration or a title it carries:
 * they are undone in the inbox transaction (to a savepoint taken before the facts, which
 * also lets go of their row locks) and committed in a transaction of their own before
 * `handle` fails.
 *
 * `handleBatch` does steps 1 and 2 for a whole batch in one transaction (a batch with an
 * unknown recipient in it fails, and each of its messages is then handled on its own), and
 * `afterCommitBatch` steps 3 and 4 for the whole committed batch: the emails of many messages
 * share their claims, SMTP connections and SENT marks, and each message fails alone. What is
 * done for one event (its notifications stored, its emails sent, their `notification.sent`)
 * is done in that event's trace and correlation context (`Delivery.within`).
 *
 * Replaying a parked message makes its FAILED emails due again.
 */
@Injectable()
export class NotificationEventsHandler implements BatchEventHandler {
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
    const facts = carriesFacts(event);
    if (facts) await tx.manager.query(`SAVEPOINT ${FACTS_SAVEPOINT}`);
    await this.recordFacts(tx.manager, event);
    const { notifications: planned, unknownRecipients } = await this.planner.plan(
      tx.manager,
      event,
      this.clock.now(),
    );
    if (unknownRecipients.length > 0 && !delivery.finalAttempt) {
      if (facts) await tx.manager.query(`ROLLBACK TO SAVEPOINT ${FACTS_SAVEPOINT}`);
      await this.unitOfWork.run(
        async (own) => {
          await this.recordFacts(own.manager, event);
          await this.store(own, [event], [delivery], planned);
        },
        { separate: true },
      );
    } else {
      await this.store(tx, [event], [delivery], planned);
    }
    this.awaitUnknown(event, unknownRecipients, delivery);
  }

  /**
   * Steps 1 and 2 for every event of a batch, in its one transaction: facts in delivery
   * order, then every notification in one statement. Throws, before storing anything, if an
   * event has a recipient not known yet (the consumer then handles each message alone).
   */
  async handleBatch(
    events: readonly EventEnvelope[],
    tx: Tx,
    deliveries: readonly Delivery[],
  ): Promise<void> {
    await this.recordFacts(tx.manager, ...events);
    const plans = await this.planner.planAll(tx.manager, events, this.clock.now());
    const waiting = plans.findIndex(
      (plan, index) => plan.unknownRecipients.length > 0 && !deliveries[index].finalAttempt,
    );
    if (waiting >= 0) {
      const event = events[waiting];
      throw new TransientError(
        `${event.type} ${event.id}: recipient(s) ${plans[waiting].unknownRecipients.join(', ')} not known yet`,
      );
    }
    await this.store(
      tx,
      events,
      deliveries,
      plans.flatMap((plan) => plan.notifications),
    );
    plans.forEach((plan, index) =>
      this.awaitUnknown(events[index], plan.unknownRecipients, deliveries[index]),
    );
  }

  async afterCommit(event: EventEnvelope, delivery: Delivery): Promise<void> {
    if (!isNotifiable(event)) return;
    const failures = await this.sendEmailsOf([event], [delivery]);
    const failure = this.failureOf(event, failures.get(event.id) ?? []);
    if (failure) throw failure;
  }

  /** Steps 3 and 4 for every message of a committed batch; each message fails alone. */
  async afterCommitBatch(
    events: readonly EventEnvelope[],
    deliveries: readonly Delivery[],
  ): Promise<Array<Error | undefined>> {
    const failures = await this.sendEmailsOf(events, deliveries);
    return events.map((event) => this.failureOf(event, failures.get(event.id) ?? []));
  }

  /**
   * Sends the due emails of `events`, a few claims at a time (one claim's statements overlap
   * another's SMTP conversations; `EmailDelivery` never has more mails out than connections);
   * returns the failures of each event's emails, by event id.
   */
  private async sendEmailsOf(
    events: readonly EventEnvelope[],
    deliveries: readonly Delivery[],
  ): Promise<Map<string, Failed[]>> {
    const deliveryOf = new Map(events.map((event, index) => [event.id, deliveries[index]]));
    const groups: string[][] = [];
    const notifiable = events.filter(isNotifiable).map((event) => event.id);
    for (let start = 0; start < notifiable.length; start += this.emails.batchSize) {
      groups.push(notifiable.slice(start, start + this.emails.batchSize));
    }
    const failures = new Map<string, Failed[]>();
    const sendGroup = async (ids: string[]) => {
      // Only a first attempt can be a replay (a replay restarts the count). A retry from a
      // delay queue may find an email the release loop gave up on meanwhile: it stays FAILED.
      const replayed = ids.filter((id) => deliveryOf.get(id)?.attempt === 1);
      const outcomes = await this.emails.attempt(
        (manager, lease) =>
          this.notifications.claimDueEmailsOfEvents(manager, ids, replayed, lease),
        (email) => messageRetryPolicy(deliveryOf.get(email.sourceEventId) as Delivery),
        (email, work) => (deliveryOf.get(email.sourceEventId) as Delivery).within(work),
      );
      for (const { email, result } of outcomes) {
        if (result.outcome !== 'failed' && result.outcome !== 'retry') continue;
        failures.set(email.sourceEventId, [...(failures.get(email.sourceEventId) ?? []), result]);
      }
    };
    const workers = Array.from({ length: Math.min(CLAIMS_IN_FLIGHT, groups.length) }, async () => {
      for (let group = groups.shift(); group; group = groups.shift()) await sendGroup(group);
    });
    await Promise.all(workers);
    return failures;
  }

  /**
   * Stores the planned notifications of `events` in one statement; in-app ones are delivered
   * by that. Each event's trace has a `store notifications` span of its own, lasting as long
   * as the shared statement and the reports of its in-app notifications (a reader of one
   * request's trace sees where its rows were written and what that cost, without another
   * trace to open; the statement itself is in the batch's trace); each `notification.sent`
   * is emitted in its own event's context.
   */
  private async store(
    tx: Tx,
    events: readonly EventEnvelope[],
    deliveries: readonly Delivery[],
    planned: Notification[],
  ): Promise<void> {
    const deliveryOf = new Map(events.map((event, index) => [event.id, deliveries[index]]));
    const plannedOf = new Map<string, number>();
    for (const { sourceEventId } of planned) {
      plannedOf.set(sourceEventId, (plannedOf.get(sourceEventId) ?? 0) + 1);
    }
    const storing = (async () => {
      const inserted = await this.notifications.insertNew(tx.manager, planned);
      const inApp = inserted.filter((n) => n.channel === 'IN_APP');
      // Issued together (order among them does not matter): the outbox writes them in one
      // statement, each with its own event's trace headers.
      await Promise.all(
        inApp.map((notification) =>
          (deliveryOf.get(notification.sourceEventId) as Delivery).within(() =>
            this.emails.emitSent(tx, notification),
          ),
        ),
      );
      this.metrics.record('IN_APP', 'sent', inApp.length);
    })();
    const spans = events.map((event, index) =>
      deliveries[index].within(() =>
        inSpan(
          'store notifications',
          {
            attributes: {
              'notification.planned': plannedOf.get(event.id) ?? 0,
              'notification.batch.planned': planned.length,
            },
          },
          () => storing,
        ),
      ),
    );
    await Promise.all([storing, ...spans]);
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

  /**
   * Records the facts `events` carry: people's in delivery order, then every ticket in one
   * statement (a ticket of someone erased in the same batch is not recorded either way).
   */
  private async recordFacts(manager: EntityManager, ...events: EventEnvelope[]): Promise<void> {
    const tickets: Array<EventPayload<'ticket.created'>> = [];
    for (const event of events) {
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
        tickets.push(event.payload);
      }
    }
    await this.directory.recordTickets(manager, tickets);
  }

  /** The error `event`'s message fails with when some of its emails were not sent. */
  private failureOf(event: EventEnvelope, failures: Failed[]): Error | undefined {
    if (failures.length === 0) return undefined;
    const reasons = failures.map((f) => f.failure.reason).join('; ');
    const summary = `${failures.length} email(s) of ${event.type} ${event.id} not sent: ${reasons}`;
    if (failures.some((f) => !f.failure.transient)) return new PermanentError(summary);
    return new TransientError(summary);
  }
}
