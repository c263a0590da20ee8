import { expectedNotifications } from './chaos-expectations';
import type {
  InjectedPoison,
  MailRecord,
  NotificationRecord,
  OperationRecord,
  Snapshot,
} from './chaos-snapshot-types';

/**
 * The fault-injection checker: pure functions from a quiet platform's snapshot and the
 * workload's operations to what was lost, doubled, left stuck or left unanswered. Effects are
 * judged only for what a scenario caused (events written since it began); what is stuck is
 * judged on the whole platform, since it is still stuck whoever caused it.
 */

export type ViolationKind = 'lost' | 'duplicated' | 'stuck' | 'unanswered';

export interface Violation {
  kind: ViolationKind;
  /** What is wrong, e.g. "audit entry missing", shared by violations of one sort. */
  what: string;
  /** Which ids, queues or operations it is about. */
  detail: string;
}

export interface CheckScope {
  /** Epoch ms: events written and operations started since then are this scenario's. */
  since: number;
  operations: readonly OperationRecord[];
  /** Every poison message published so far: expected in the DLQs. */
  poison: readonly InjectedPoison[];
  /** The poison messages this scenario published: each must be parked. */
  injected: readonly InjectedPoison[];
  /** Longest a request may go unanswered. */
  requestBoundMs: number;
}

export interface CheckResult {
  violations: Violation[];
  /** Emails sent again under their first Message-ID: allowed, a mail system drops them. */
  sameIdResends: number;
  acked: number;
  errored: number;
  maxLatencyMs: number;
}

const DLQ_SUFFIX = '.dlq';

function normalized(text: string): string {
  return text.replace(/\r\n/g, '\n').trim();
}

function contentKey(to: string, subject: string, text: string): string {
  return `${to.toLowerCase()}\n${subject}\n${normalized(text)}`;
}

/** What identifies an email's content: its recipients, subject and text. */
export function mailKey(mail: MailRecord): string {
  return contentKey([...mail.to].sort().join(','), mail.subject, mail.text);
}

function notificationKey(notification: NotificationRecord): string {
  return contentKey(notification.emailTo ?? '', notification.title, notification.body);
}

/** The notification id a deterministic Message-ID (`<notificationId@domain>`) names, if any. */
export function notificationIdOf(messageId: string | null): string | null {
  const match = /^<?([0-9a-f-]{36})@[^>]+>?$/i.exec(messageId ?? '');
  return match ? match[1].toLowerCase() : null;
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function checkEvents(snapshot: Snapshot, scope: CheckScope, out: Violation[]): void {
  const audited = countBy(snapshot.auditEventIds, (id) => id);
  const notified = countBy(
    snapshot.notifications,
    (n) => `${n.eventId}/${n.recipientId}/${n.channel}`,
  );
  const directories = Object.entries(snapshot.directories).map(
    ([service, ids]) => [service, new Set(ids)] as const,
  );
  for (const event of snapshot.events) {
    if (event.createdAt < scope.since) continue;
    const name = `${event.type} ${event.id} (${event.service})`;
    if (event.status !== 'PUBLISHED') {
      out.push({ kind: 'stuck', what: `outbox row ${event.status}`, detail: name });
      continue;
    }
    const entries = audited.get(event.id) ?? 0;
    if (entries === 0) out.push({ kind: 'lost', what: 'audit entry missing', detail: name });
    if (entries > 1) {
      out.push({ kind: 'duplicated', what: 'audit entries', detail: `${name}: ${entries}` });
    }
    for (const { recipientId, channel } of expectedNotifications(event) ?? []) {
      if (!notified.has(`${event.id}/${recipientId}/${channel}`)) {
        out.push({
          kind: 'lost',
          what: `${channel} notification missing`,
          detail: `${name} for ${recipientId}`,
        });
      }
    }
    const userId = event.payload.userId;
    if (event.type === 'user.registered' && typeof userId === 'string') {
      for (const [service, known] of directories) {
        if (!known.has(userId)) {
          out.push({ kind: 'lost', what: `${service} directory missing a user`, detail: userId });
        }
      }
    }
  }
  for (const [key, count] of notified) {
    if (count > 1) {
      out.push({ kind: 'duplicated', what: 'notification rows', detail: `${key}: ${count}` });
    }
  }
}

/**
 * Emails: every SENT one received, none received twice under different Message-IDs. A mail
 * whose Message-ID names its notification is matched to it; the others are matched by content,
 * by count, since two notifications may read alike (two comments on one ticket).
 */
function checkMails(snapshot: Snapshot, scope: CheckScope, out: Violation[]): number {
  const eventsInScope = new Set(
    snapshot.events.filter((e) => e.createdAt >= scope.since).map((e) => e.id),
  );
  const emails = snapshot.notifications.filter((n) => n.channel === 'EMAIL');
  const byId = new Map(emails.map((n) => [n.id, n]));
  const identified = new Map<string, number>();
  const alike = new Map<string, { mails: MailRecord[]; notifications: NotificationRecord[] }>();
  const groupOf = (key: string) => {
    if (!alike.has(key)) alike.set(key, { mails: [], notifications: [] });
    return alike.get(key)!;
  };
  for (const mail of snapshot.mails) {
    const id = notificationIdOf(mail.messageId);
    if (id && byId.has(id)) identified.set(id, (identified.get(id) ?? 0) + 1);
    else groupOf(mailKey(mail)).mails.push(mail);
  }
  for (const n of emails) groupOf(notificationKey(n)).notifications.push(n);

  let sameIdResends = 0;
  for (const [id, copies] of identified) {
    if (eventsInScope.has(byId.get(id)!.eventId)) sameIdResends += copies - 1;
  }
  for (const { mails, notifications } of alike.values()) {
    const inScope =
      notifications.some((n) => eventsInScope.has(n.eventId)) ||
      (notifications.length === 0 && mails.some((m) => m.receivedAt >= scope.since));
    if (!inScope) continue;
    const messageIds = new Set(mails.map((mail, index) => mail.messageId ?? `none-${index}`));
    sameIdResends += mails.length - messageIds.size;
    const unidentified = notifications.filter((n) => !identified.has(n.id));
    const extra = messageIds.size - unidentified.length;
    if (extra > 0) {
      const { subject, to } = mails[0];
      out.push({
        kind: 'duplicated',
        what: 'email sent again under another Message-ID',
        detail:
          `"${subject}" to ${to.join(', ')}: ${messageIds.size} Message-IDs for ` +
          `${unidentified.length} notification(s)`,
      });
    }
    const missing = unidentified.filter((n) => n.status === 'SENT').slice(messageIds.size);
    for (const n of missing) {
      out.push({
        kind: 'lost',
        what: 'email marked SENT never received',
        detail: `${n.id} (event ${n.eventId}) to ${n.emailTo}`,
      });
    }
  }
  return sameIdResends;
}

/** Every acknowledged operation committed, every request answered within its bound. */
function checkOperations(snapshot: Snapshot, scope: CheckScope, out: Violation[]): void {
  const users = new Set(snapshot.users);
  const tickets = new Map(snapshot.tickets.map((t) => [t.id, t.assigneeId]));
  const comments = new Set(snapshot.comments);
  const appointments = new Set(snapshot.appointments);
  const committed: Record<OperationRecord['kind'], (op: OperationRecord) => boolean> = {
    register: (op) => users.has(op.id ?? ''),
    createTicket: (op) => tickets.has(op.id ?? ''),
    addComment: (op) => comments.has(op.id ?? ''),
    assignTicket: (op) => tickets.get(op.ticketId ?? '') === op.assigneeId,
    bookAppointment: (op) => appointments.has(op.id ?? ''),
  };
  for (const op of scope.operations) {
    if (op.outcome === 'acked' && !committed[op.kind](op)) {
      out.push({
        kind: 'lost',
        what: 'acknowledged operation not committed',
        detail: `${op.kind} "${op.text}" (${op.id})`,
      });
    }
    if (op.code === 'TIMEOUT' || op.latencyMs > scope.requestBoundMs) {
      out.push({
        kind: 'unanswered',
        what: `no answer within ${scope.requestBoundMs / 1000} s`,
        detail: `${op.kind} "${op.text}" after ${Math.round(op.latencyMs)} ms`,
      });
    }
  }
}

/** Outboxes, queues, DLQs and emails that should be empty once quiet; queues that should exist. */
function checkStuck(snapshot: Snapshot, scope: CheckScope, out: Violation[]): void {
  for (const event of snapshot.events) {
    if (event.status !== 'PUBLISHED' && event.createdAt < scope.since) {
      const name = `${event.type} ${event.id} (${event.service})`;
      out.push({ kind: 'stuck', what: `outbox row ${event.status}`, detail: name });
    }
  }
  for (const queue of snapshot.missingQueues) {
    out.push({ kind: 'stuck', what: 'queue of the registry missing on the broker', detail: queue });
  }
  for (const queue of snapshot.queues) {
    if (!queue.name.endsWith(DLQ_SUFFIX) && queue.messages > 0) {
      out.push({
        kind: 'stuck',
        what: 'messages left in a queue',
        detail: `${queue.name}: ${queue.messages}`,
      });
    }
  }
  const expected = new Set(scope.poison.map((p) => p.messageId));
  const parked = countBy(
    snapshot.deadLetters.filter((d) => !expected.has(d.messageId ?? '')),
    (d) => d.queue,
  );
  for (const [queue, count] of parked) {
    out.push({ kind: 'stuck', what: 'unexpected messages in a DLQ', detail: `${queue}: ${count}` });
  }
  for (const n of snapshot.notifications) {
    if (n.channel === 'EMAIL' && n.status !== 'SENT') {
      out.push({ kind: 'stuck', what: `email ${n.status}`, detail: `${n.id} to ${n.emailTo}` });
    }
  }
  const present = new Set(snapshot.deadLetters.map((d) => `${d.queue}/${d.messageId}`));
  for (const poison of scope.injected) {
    for (const { queue } of snapshot.subscriptions.filter((s) =>
      s.events.includes(poison.routingKey),
    )) {
      if (!present.has(`${queue}${DLQ_SUFFIX}/${poison.messageId}`)) {
        out.push({
          kind: 'lost',
          what: 'poison message not parked',
          detail: `${poison.routingKey} ${poison.messageId} missing from ${queue}${DLQ_SUFFIX}`,
        });
      }
    }
  }
}

export function check(snapshot: Snapshot, scope: CheckScope): CheckResult {
  const violations: Violation[] = [];
  checkEvents(snapshot, scope, violations);
  const sameIdResends = checkMails(snapshot, scope, violations);
  checkOperations(snapshot, scope, violations);
  checkStuck(snapshot, scope, violations);
  const latencies = scope.operations.map((op) => op.latencyMs);
  return {
    violations,
    sameIdResends,
    acked: scope.operations.filter((op) => op.outcome === 'acked').length,
    errored: scope.operations.filter((op) => op.outcome === 'errored').length,
    maxLatencyMs: latencies.length > 0 ? Math.max(...latencies) : 0,
  };
}
