/**
 * What the fault-injection checker reads: the state of the platform once it is quiet (from
 * the database, the broker and the SMTP server) and the operations the workload sent.
 */

export type OutboxStatus = 'PENDING' | 'PUBLISHED' | 'FAILED';

/** One row of a service's outbox: an event the service committed. */
export interface CommittedEvent {
  /** The schema (service) whose outbox holds it. */
  service: string;
  id: string;
  type: string;
  status: OutboxStatus;
  /** Epoch ms at which it was written. */
  createdAt: number;
  actorId: string | null;
  payload: Record<string, unknown>;
}

export interface NotificationRecord {
  id: string;
  eventId: string;
  recipientId: string;
  channel: 'EMAIL' | 'IN_APP';
  status: 'PENDING' | 'SENT' | 'FAILED';
  emailTo: string | null;
  /** The email's subject and plain text (what the SMTP server must have received). */
  title: string;
  body: string;
}

export interface MailRecord {
  to: string[];
  subject: string;
  text: string;
  /** The Message-ID header without its angle brackets; null when the mail had none. */
  messageId: string | null;
  receivedAt: number;
}

export interface QueueDepth {
  name: string;
  /** Ready and unacknowledged. */
  messages: number;
}

export interface DeadLetterRecord {
  /** The DLQ holding it. */
  queue: string;
  messageId: string | null;
}

export interface SubscriptionRecord {
  queue: string;
  events: string[];
}

export interface Snapshot {
  events: CommittedEvent[];
  /** One event id per audit entry (an id twice is a duplicate). */
  auditEventIds: string[];
  notifications: NotificationRecord[];
  mails: MailRecord[];
  /** Accounts in the user service. */
  users: string[];
  /** The people each other service knows, by service. */
  directories: Record<string, string[]>;
  tickets: Array<{ id: string; assigneeId: string | null }>;
  comments: string[];
  appointments: string[];
  /** The work queues of the registry, with the event types bound to each. */
  subscriptions: SubscriptionRecord[];
  /** The registry's queues the broker has, with their depth. */
  queues: QueueDepth[];
  /** The registry's queues the broker does not have. */
  missingQueues: string[];
  deadLetters: DeadLetterRecord[];
}

export type OperationKind =
  'register' | 'createTicket' | 'addComment' | 'assignTicket' | 'bookAppointment';

/** One request of the workload, as the client saw it. */
export interface OperationRecord {
  kind: OperationKind;
  /** The unique text it carried (title, body, email), so its effects can be matched. */
  text: string;
  startedAt: number;
  latencyMs: number;
  outcome: 'acked' | 'errored';
  /** `extensions.code` of the error, or TIMEOUT / NETWORK / HTTP; null when acked. */
  code: string | null;
  /** The id the answer returned (user, ticket, comment, appointment). */
  id: string | null;
  /** For assignTicket: the ticket and the assignee asked for. */
  ticketId?: string;
  assigneeId?: string;
}

/** A poison message the scenario published on purpose: expected in the DLQs, nowhere else. */
export interface InjectedPoison {
  messageId: string;
  routingKey: string;
}
