import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { EventEnvelope } from '@servicedesk/contracts';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import {
  DirectoryView,
  Recipient,
  RecipientDirectory,
} from '../directory/recipient-directory.service';
import type { Notification } from '../inbox/notification';
import { NotificationPreferences, channelsFor } from '../preferences/preferences';
import { PreferencesRepository } from '../preferences/preferences.repository';
import { quietHoursEnd } from '../preferences/quiet-hours';
import {
  NotifiableEventType,
  RuleTarget,
  isNotifiable,
  targetsOf,
} from '../rules/notification-rules';
import { renderEmail } from '../templates/email-layout';
import { NotificationContent, contentOf } from '../templates/notification-templates';

const HOUR_MS = 3_600_000;

/** Payload fields that name people (whose names a message may mention). */
const PERSON_FIELDS = ['userId', 'requesterId', 'assigneeId', 'authorId', 'agentId', 'customerId'];

const unique = <T>(values: T[]): T[] => [...new Set(values)];

/** The ticket an event is about, if any (its title names it in messages). */
function ticketIdOf(event: EventEnvelope): string | null {
  const ticketId = (event.payload as { ticketId?: unknown }).ticketId;
  return typeof ticketId === 'string' ? ticketId : null;
}

function peopleIn(payload: object): string[] {
  const record = payload as Record<string, unknown>;
  return PERSON_FIELDS.map((field) => record[field]).filter(
    (value): value is string => typeof value === 'string',
  );
}

/** What an event causes, and whom it would have reached but cannot yet. */
export interface Plan {
  notifications: Notification[];
  /**
   * Recipients the service has not heard of yet (neither registered nor erased): their
   * registration may still be on its way, since events of different people are not ordered.
   */
  unknownRecipients: string[];
}

/**
 * Turns an event into the notifications it causes: who (the rules), on which channels
 * (their preferences), what they read (the templates, in their time zone) and, for email,
 * when (now, or when their quiet hours end unless it is critical). Reads through the
 * caller's transaction, so facts the same event recorded (a registration, a ticket title)
 * are seen. Unknown and erased people are skipped.
 */
@Injectable()
export class NotificationPlanner {
  private readonly criticalAppointmentMs: number;

  constructor(
    private readonly directory: RecipientDirectory,
    private readonly preferences: PreferencesRepository,
    @Inject(NOTIFICATION_CONFIG) config: NotificationConfig,
  ) {
    this.criticalAppointmentMs = config.NOTIFICATION_CRITICAL_APPOINTMENT_HOURS * HOUR_MS;
  }

  async plan(manager: EntityManager, event: EventEnvelope, now: Date): Promise<Plan> {
    const [plan] = await this.planAll(manager, [event], now);
    return plan;
  }

  /**
   * The plan of each of `events`, in their order, from two statements whatever their number:
   * one reads the people and tickets they name, one the preferences of those to notify.
   */
  async planAll(
    manager: EntityManager,
    events: readonly EventEnvelope[],
    now: Date,
  ): Promise<Plan[]> {
    const context = { now, criticalAppointmentMs: this.criticalAppointmentMs };
    const targeted = events.map((event) => ({
      event,
      targets: isNotifiable(event) ? targetsOf(event, context) : [],
    }));
    const named = targeted.filter(({ targets }) => targets.length > 0);
    const directory = await this.directory.lookUp(
      manager,
      unique(
        named.flatMap(({ event, targets }) => [
          ...targets.map((t) => t.recipientId),
          ...peopleIn(event.payload),
        ]),
      ),
      unique(named.map(({ event }) => ticketIdOf(event)).filter((id) => id !== null)),
    );
    const reachableIds = unique(
      named.flatMap(({ targets }) =>
        targets.filter((t) => directory.recipients.has(t.recipientId)).map((t) => t.recipientId),
      ),
    );
    const preferences =
      reachableIds.length > 0
        ? await this.preferences.findMany(manager, reachableIds)
        : new Map<string, NotificationPreferences>();
    return targeted.map(({ event, targets }) => ({
      notifications: isNotifiable(event)
        ? this.notificationsFor(
            event,
            targets.filter((t) => directory.recipients.has(t.recipientId)),
            directory,
            preferences,
            now,
          )
        : [],
      unknownRecipients: targets
        .filter((t) => !directory.known.has(t.recipientId))
        .map((t) => t.recipientId),
    }));
  }

  private notificationsFor(
    event: EventEnvelope<NotifiableEventType>,
    reachable: RuleTarget[],
    directory: DirectoryView,
    preferences: Map<string, NotificationPreferences>,
    now: Date,
  ): Notification[] {
    const ticketId = ticketIdOf(event);
    const ticketTitle = (ticketId && directory.ticketTitles.get(ticketId)) ?? null;
    const people = directory.recipients;
    const nameOf = (id: string | null | undefined) => (id && people.get(id)?.name) || 'Someone';

    return reachable.flatMap((target) => {
      const recipient = people.get(target.recipientId) as Recipient;
      const content = contentOf(event, {
        audience: target.audience,
        recipient,
        ticketTitle,
        nameOf,
      });
      const choice = preferences.get(target.recipientId);
      if (!choice) return [];
      return channelsFor(choice, target.category).map((channel) =>
        channel === 'IN_APP'
          ? this.inApp(event, target, content, now)
          : this.email(event, target, recipient, content, now, choice.quietHours),
      );
    });
  }

  private base(
    event: EventEnvelope,
    target: RuleTarget,
    content: NotificationContent,
    now: Date,
  ): Omit<Notification, 'channel' | 'status' | 'html' | 'emailTo' | 'sentAt' | 'deliverAfter'> {
    return {
      id: randomUUID(),
      sourceEventId: event.id,
      type: event.type,
      category: target.category,
      recipientId: target.recipientId,
      critical: target.critical,
      title: content.title,
      body: content.paragraphs.join('\n\n'),
      attempts: 0,
      lastError: null,
      readAt: null,
      createdAt: now,
    };
  }

  /** In-app notifications are delivered by being stored. */
  private inApp(
    event: EventEnvelope,
    target: RuleTarget,
    content: NotificationContent,
    now: Date,
  ): Notification {
    return {
      ...this.base(event, target, content, now),
      channel: 'IN_APP',
      status: 'SENT',
      html: null,
      emailTo: null,
      deliverAfter: now,
      sentAt: now,
    };
  }

  private email(
    event: EventEnvelope,
    target: RuleTarget,
    recipient: Recipient,
    content: NotificationContent,
    now: Date,
    quietHours: { start: number; end: number } | null,
  ): Notification {
    const email = renderEmail(content, recipient.name);
    const heldUntil =
      !target.critical && quietHours ? quietHoursEnd(now, quietHours, recipient.timeZone) : null;
    return {
      ...this.base(event, target, content, now),
      channel: 'EMAIL',
      status: 'PENDING',
      title: email.subject,
      body: email.text,
      html: email.html,
      emailTo: recipient.email,
      deliverAfter: heldUntil ?? now,
      sentAt: null,
    };
  }
}
