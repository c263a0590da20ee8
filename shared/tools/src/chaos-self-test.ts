import { randomUUID } from 'node:crypto';
import { CheckResult, CheckScope, check, countBy, mailKey } from './chaos-checker';
import type { MailRecord, Snapshot } from './chaos-snapshot-types';

/**
 * The checker checks itself before it is believed: on a real snapshot it must notice an
 * audit entry taken away, an email sent again under a new Message-ID, and must count (not
 * flag) an email sent again under the same one. A checker blind to any of them fails the run.
 */

const WHOLE_RUN: CheckScope = {
  since: 0,
  operations: [],
  poison: [],
  injected: [],
  requestBoundMs: Number.MAX_SAFE_INTEGER,
};

const count = (result: CheckResult, what: string) =>
  result.violations.filter((v) => v.what === what).length;

/** An audited, published event's entry removed (or, on an empty snapshot, an unaudited event added). */
function forgeLoss(snapshot: Snapshot): Snapshot {
  const audited = new Set(snapshot.auditEventIds);
  const victim = snapshot.events.find((e) => e.status === 'PUBLISHED' && audited.has(e.id));
  if (victim) {
    return { ...snapshot, auditEventIds: snapshot.auditEventIds.filter((id) => id !== victim.id) };
  }
  const forged = {
    service: 'notification',
    id: randomUUID(),
    type: 'notification.sent',
    status: 'PUBLISHED' as const,
    createdAt: Date.now(),
    actorId: null,
    payload: {},
  };
  return { ...snapshot, events: [...snapshot.events, forged] };
}

/**
 * A received email with a Message-ID, received only once so far (or a made-up one when there
 * is none), received once more.
 */
function forgeCopy(snapshot: Snapshot, messageId: (original: string) => string): Snapshot {
  const copies = countBy(snapshot.mails, mailKey);
  const received = snapshot.mails.find(
    (mail) => mail.messageId !== null && copies.get(mailKey(mail)) === 1,
  );
  const original: MailRecord = received ?? {
    to: ['self-test@example.com'],
    subject: 'Self-test',
    text: `Self-test ${randomUUID()}`,
    messageId: `${randomUUID()}@example.com`,
    receivedAt: Date.now(),
  };
  const copy = { ...original, messageId: messageId(original.messageId!) };
  const mails = received ? snapshot.mails : [...snapshot.mails, original];
  return { ...snapshot, mails: [...mails, copy] };
}

/** What the checker failed to notice; empty when it noticed everything. */
export function selfTest(snapshot: Snapshot): string[] {
  const failures: string[] = [];
  const baseline = check(snapshot, WHOLE_RUN);

  const lost = check(forgeLoss(snapshot), WHOLE_RUN);
  if (count(lost, 'audit entry missing') !== count(baseline, 'audit entry missing') + 1) {
    failures.push('a removed audit entry was not reported as lost');
  }

  const copyKind = 'email sent again under another Message-ID';
  const doubled = check(
    forgeCopy(snapshot, () => `${randomUUID()}@example.com`),
    WHOLE_RUN,
  );
  if (count(doubled, copyKind) <= count(baseline, copyKind)) {
    failures.push('an email received twice under two Message-IDs was not reported as duplicated');
  }

  const resent = check(
    forgeCopy(snapshot, (original) => original),
    WHOLE_RUN,
  );
  if (resent.sameIdResends !== baseline.sameIdResends + 1) {
    failures.push('an email received twice under one Message-ID was not counted as a re-send');
  }
  return failures;
}
