import type { EventEnvelope, EventPayload } from '@servicedesk/contracts';
import type { Audience, NotifiableEventType } from '../rules/notification-rules';
import { formatInstant } from './format';

/** What a template knows besides the event: the reader and the names it may mention. */
export interface TemplateContext {
  audience: Audience;
  recipient: { name: string; timeZone: string };
  /** The title of the event's ticket, when the service knows it. */
  ticketTitle: string | null;
  /** The display name of a person, or a neutral stand-in for someone unknown or erased. */
  nameOf(userId: string | null | undefined): string;
}

/** A message in plain words: a one-line title and its paragraphs (uninterpreted text). */
export interface NotificationContent {
  title: string;
  paragraphs: string[];
}

type Template<T extends NotifiableEventType> = (
  payload: EventPayload<T>,
  context: TemplateContext,
) => NotificationContent;

/** The ticket by its title, or in neutral words when the title is unknown. */
const ticketLabel = (context: TemplateContext) =>
  context.ticketTitle
    ? `"${context.ticketTitle}"`
    : context.audience === 'requester'
      ? 'your ticket'
      : 'a ticket';

/** The ticket as the subject of a sentence. */
const theTicket = (context: TemplateContext) =>
  context.ticketTitle
    ? `Ticket "${context.ticketTitle}"`
    : context.audience === 'requester'
      ? 'Your ticket'
      : 'A ticket';

const STATUS_WORDS: Record<EventPayload<'ticket.status_changed'>['to'], string> = {
  OPEN: 'open',
  IN_PROGRESS: 'in progress',
  WAITING_ON_CUSTOMER: 'waiting on the customer',
  RESOLVED: 'resolved',
  CLOSED: 'closed',
};

const at = (instant: string, context: TemplateContext) =>
  formatInstant(instant, context.recipient.timeZone);

/** The other side of an appointment, as the reader sees it. */
const counterpart = (payload: { agentId: string; customerId: string }, context: TemplateContext) =>
  context.audience === 'agent'
    ? context.nameOf(payload.customerId)
    : context.nameOf(payload.agentId);

const reasonLine = (reason: string | null) => (reason ? [`Reason: ${reason}`] : []);

/** One template per event type; each words the message for the reader's reason to get it. */
export const NOTIFICATION_TEMPLATES: { [T in NotifiableEventType]: Template<T> } = {
  'user.registered': () => ({
    title: 'Welcome to Servicedesk',
    paragraphs: [
      'Your account is ready. You can open tickets and book appointments with our agents.',
    ],
  }),
  'user.role_changed': (payload) => ({
    title: 'Your role has changed',
    paragraphs: [
      `Your role changed from ${payload.previousRole} to ${payload.role}.`,
      'If you did not expect this change, contact an administrator right away.',
    ],
  }),

  'ticket.created': (_payload, context) => ({
    title: context.ticketTitle
      ? `We received your ticket "${context.ticketTitle}"`
      : 'We received your ticket',
    paragraphs: ['Thank you. Our support team will get back to you as soon as possible.'],
  }),
  'ticket.assigned': (payload, context) =>
    context.audience === 'assignee'
      ? {
          title: `Ticket assigned to you: ${ticketLabel(context)}`,
          paragraphs: [`The ticket of ${context.nameOf(payload.requesterId)} is now yours.`],
        }
      : {
          title: `${theTicket({ ...context, audience: 'requester' })} was assigned`,
          paragraphs: [`${context.nameOf(payload.assigneeId)} is now taking care of it.`],
        },
  'ticket.status_changed': (payload, context) => ({
    title: `${theTicket(context)} is now ${STATUS_WORDS[payload.to]}`,
    paragraphs: [`It moved from ${STATUS_WORDS[payload.from]} to ${STATUS_WORDS[payload.to]}.`],
  }),
  'ticket.commented': (payload, context) => ({
    title: `New ${payload.internal ? 'internal note' : 'comment'} on ${ticketLabel(context)}`,
    paragraphs: [
      `${context.nameOf(payload.authorId)} ${payload.internal ? 'added an internal note' : 'commented'}. Open the ticket to read it.`,
    ],
  }),
  'ticket.sla_breached': (payload, context) => ({
    title: `SLA missed on ${ticketLabel(context)}`,
    paragraphs: [
      `The ${payload.target === 'FIRST_RESPONSE' ? 'first response' : 'resolution'} was due ${at(payload.dueAt, context)}.`,
    ],
  }),

  'appointment.booked': (payload, context) => ({
    title: `Appointment booked for ${at(payload.startsAt, context)}`,
    paragraphs: [
      `With ${counterpart(payload, context)}, from ${at(payload.startsAt, context)} to ${at(payload.endsAt, context)}.`,
    ],
  }),
  'appointment.rescheduled': (payload, context) => ({
    title: `Appointment moved to ${at(payload.startsAt, context)}`,
    paragraphs: [
      `Your appointment with ${counterpart(payload, context)} on ${at(payload.previousStartsAt, context)} now takes place from ${at(payload.startsAt, context)} to ${at(payload.endsAt, context)}.`,
      ...reasonLine(payload.reason),
    ],
  }),
  'appointment.cancelled': (payload, context) => ({
    title: `Appointment on ${at(payload.startsAt, context)} cancelled`,
    paragraphs: [
      `Your appointment with ${counterpart(payload, context)} will not take place.`,
      ...reasonLine(payload.reason),
    ],
  }),
  'appointment.completed': (payload, context) => ({
    title: 'Thank you for your appointment',
    paragraphs: [`Your appointment with ${context.nameOf(payload.agentId)} is complete.`],
  }),
  'appointment.no_show': (payload, context) => ({
    title: 'We missed you at your appointment',
    paragraphs: [
      `${context.nameOf(payload.agentId)} waited for you. You can book a new appointment at any time.`,
    ],
  }),
  'appointment.reminder_due': (payload, context) => ({
    title: `Reminder: appointment on ${at(payload.startsAt, context)}`,
    paragraphs: [
      `With ${counterpart(payload, context)}, starting ${at(payload.startsAt, context)}.`,
    ],
  }),
};

export function contentOf(
  event: EventEnvelope<NotifiableEventType>,
  context: TemplateContext,
): NotificationContent {
  const template = NOTIFICATION_TEMPLATES[event.type] as Template<NotifiableEventType>;
  return template(event.payload, context);
}
