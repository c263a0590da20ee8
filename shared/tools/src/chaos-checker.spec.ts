import { CheckScope, check, notificationIdOf } from './chaos-checker';
import { expectedNotifications } from './chaos-expectations';
import { selfTest } from './chaos-self-test';
import type {
  CommittedEvent,
  NotificationRecord,
  OperationRecord,
  Snapshot,
} from './chaos-snapshot-types';

const ADA = '00000000-0000-4000-8000-00000000000a';
const AGENT = '00000000-0000-4000-8000-0000000000a9';
const TICKET = '00000000-0000-4000-8000-00000000007c';
const REGISTERED = '10000000-0000-4000-8000-000000000001';
const CREATED = '10000000-0000-4000-8000-000000000002';
const T0 = 1_700_000_000_000;

function event(overrides: Partial<CommittedEvent>): CommittedEvent {
  return {
    service: 'ticket',
    id: CREATED,
    type: 'ticket.created',
    status: 'PUBLISHED',
    createdAt: T0,
    actorId: ADA,
    payload: { ticketId: TICKET, requesterId: ADA },
    ...overrides,
  };
}

function notificationsFor(eventId: string, n: number): NotificationRecord[] {
  return [
    {
      id: `20000000-0000-4000-8000-00000000000${n}`,
      eventId,
      recipientId: ADA,
      channel: 'IN_APP',
      status: 'SENT',
      emailTo: null,
      title: 'In app',
      body: 'In app',
    },
    {
      id: `30000000-0000-4000-8000-00000000000${n}`,
      eventId,
      recipientId: ADA,
      channel: 'EMAIL',
      status: 'SENT',
      emailTo: 'ada@example.com',
      title: `Subject ${n}`,
      body: `Text ${n}\n`,
    },
  ];
}

/** Ada registered and opened a ticket; every effect is there exactly once. */
function healthy(): Snapshot {
  const notifications = [...notificationsFor(REGISTERED, 1), ...notificationsFor(CREATED, 2)];
  return {
    events: [
      event({
        service: 'user',
        id: REGISTERED,
        type: 'user.registered',
        payload: { userId: ADA },
      }),
      event({}),
    ],
    auditEventIds: [REGISTERED, CREATED],
    notifications,
    mails: notifications
      .filter((n) => n.channel === 'EMAIL')
      .map((n) => ({
        to: ['ada@example.com'],
        subject: n.title,
        text: n.body.trim(),
        messageId: `${n.id}@servicedesk.local`,
        receivedAt: T0 + 1000,
      })),
    users: [ADA],
    directories: { ticket: [ADA], appointment: [ADA], notification: [ADA] },
    tickets: [{ id: TICKET, assigneeId: null }],
    comments: [],
    appointments: [],
    subscriptions: [{ queue: 'audit.events', events: ['user.registered', 'ticket.created'] }],
    queues: [
      { name: 'audit.events', messages: 0 },
      { name: 'audit.events.dlq', messages: 0 },
    ],
    missingQueues: [],
    deadLetters: [],
  };
}

const anOperation = (overrides: Partial<OperationRecord> = {}): OperationRecord => ({
  kind: 'createTicket',
  text: 'Printer on fire 1',
  startedAt: T0,
  latencyMs: 120,
  outcome: 'acked',
  code: null,
  id: TICKET,
  ...overrides,
});

const scope = (overrides: Partial<CheckScope> = {}): CheckScope => ({
  since: T0,
  operations: [anOperation()],
  poison: [],
  injected: [],
  requestBoundMs: 15_000,
  ...overrides,
});

const whats = (snapshot: Snapshot, within: CheckScope = scope()) =>
  check(snapshot, within).violations.map((v) => `${v.kind}: ${v.what}`);

describe('check', () => {
  it('finds nothing wrong when every effect is there once and everything is empty', () => {
    const result = check(healthy(), scope());
    expect(result.violations).toEqual([]);
    expect(result).toMatchObject({ acked: 1, errored: 0, maxLatencyMs: 120, sameIdResends: 0 });
  });

  it('reports an event without its audit entry, notification or directory entry as lost', () => {
    const snapshot = healthy();
    snapshot.auditEventIds = [REGISTERED];
    snapshot.notifications = snapshot.notifications.filter(
      (n) => !(n.eventId === CREATED && n.channel === 'IN_APP'),
    );
    snapshot.directories.appointment = [];
    expect(whats(snapshot)).toEqual([
      'lost: appointment directory missing a user',
      'lost: audit entry missing',
      'lost: IN_APP notification missing',
    ]);
  });

  it('reports an email marked SENT that the SMTP server never received as lost', () => {
    const snapshot = healthy();
    snapshot.mails = snapshot.mails.slice(1);
    expect(whats(snapshot)).toEqual(['lost: email marked SENT never received']);
  });

  it('matches a mail to its notification by a deterministic Message-ID, whatever its text', () => {
    const snapshot = healthy();
    snapshot.mails = snapshot.mails.map((mail) => ({ ...mail, text: 'reworded' }));
    expect(whats(snapshot)).toEqual([]);
    expect(notificationIdOf('<30000000-0000-4000-8000-000000000002@servicedesk.local>')).toBe(
      '30000000-0000-4000-8000-000000000002',
    );
    expect(notificationIdOf('<random.1234@mailer>')).toBeNull();
  });

  it('counts a re-send under the same Message-ID but reports one under another as duplicated', () => {
    const sameId = healthy();
    sameId.mails.push({ ...sameId.mails[1] });
    expect(check(sameId, scope())).toMatchObject({ violations: [], sameIdResends: 1 });

    const otherId = healthy();
    otherId.mails.push({ ...otherId.mails[1], messageId: 'random.1234@mailer' });
    expect(whats(otherId)).toEqual(['duplicated: email sent again under another Message-ID']);
  });

  it('tells alike emails of different events apart from copies, by count, without Message-IDs', () => {
    const snapshot = healthy();
    // Two comments on one ticket read alike; the mailer gave each a random Message-ID.
    const second = { ...snapshot.notifications[3], id: 'second', recipientId: AGENT };
    snapshot.notifications.push(second);
    snapshot.mails = snapshot.mails.map((mail) => ({ ...mail, messageId: null }));
    snapshot.mails.push({ ...snapshot.mails[1] });
    expect(whats(snapshot)).toEqual([]);

    snapshot.mails.push({ ...snapshot.mails[1], messageId: 'random.9@mailer' });
    expect(whats(snapshot)).toEqual(['duplicated: email sent again under another Message-ID']);
    snapshot.mails.splice(1, 3);
    expect(whats(snapshot)).toEqual([
      'lost: email marked SENT never received',
      'lost: email marked SENT never received',
    ]);
  });

  it('reports audit entries and notification rows present twice as duplicated', () => {
    const snapshot = healthy();
    snapshot.auditEventIds.push(CREATED);
    snapshot.notifications.push({ ...snapshot.notifications[2], id: 'another' });
    expect(whats(snapshot)).toEqual(['duplicated: audit entries', 'duplicated: notification rows']);
  });

  it('judges only the effects of events written since the scenario began', () => {
    const snapshot = healthy();
    snapshot.auditEventIds = [];
    expect(whats(snapshot, scope({ since: T0 + 1 }))).toEqual([]);
  });

  it('reports unpublished outbox rows, busy queues, unexpected dead letters and unsent emails as stuck', () => {
    const snapshot = healthy();
    snapshot.events.push(event({ id: 'pending-before', status: 'PENDING', createdAt: T0 - 1 }));
    snapshot.events.push(event({ id: 'failed-now', status: 'FAILED' }));
    snapshot.queues = [
      { name: 'audit.events', messages: 2 },
      { name: 'audit.events.retry.1', messages: 1 },
      { name: 'audit.events.dlq', messages: 2 },
    ];
    snapshot.deadLetters = [
      { queue: 'audit.events.dlq', messageId: 'poison-1' },
      { queue: 'audit.events.dlq', messageId: 'real-event' },
    ];
    snapshot.notifications[3].status = 'PENDING';
    snapshot.mails = snapshot.mails.slice(0, 1);
    const poison = [{ messageId: 'poison-1', routingKey: 'ticket.created' }];
    expect(whats(snapshot, scope({ poison }))).toEqual([
      'stuck: outbox row FAILED',
      'stuck: outbox row PENDING',
      'stuck: messages left in a queue',
      'stuck: messages left in a queue',
      'stuck: unexpected messages in a DLQ',
      'stuck: email PENDING',
    ]);
  });

  it('reports a queue of the registry the broker does not have as stuck', () => {
    const snapshot = healthy();
    snapshot.queues = [{ name: 'audit.events', messages: 0 }];
    snapshot.missingQueues = ['audit.events.dlq'];

    expect(check(snapshot, scope()).violations).toEqual([
      {
        kind: 'stuck',
        what: 'queue of the registry missing on the broker',
        detail: 'audit.events.dlq',
      },
    ]);
  });

  it('reports a poison message missing from the DLQ of a queue bound to its routing key', () => {
    const snapshot = healthy();
    snapshot.deadLetters = [{ queue: 'audit.events.dlq', messageId: 'poison-1' }];
    const poison = [
      { messageId: 'poison-1', routingKey: 'ticket.created' },
      { messageId: 'poison-2', routingKey: 'user.registered' },
      { messageId: 'poison-3', routingKey: 'nobody.listens' },
    ];
    expect(check(snapshot, scope({ poison, injected: poison })).violations).toEqual([
      {
        kind: 'lost',
        what: 'poison message not parked',
        detail: 'user.registered poison-2 missing from audit.events.dlq',
      },
    ]);
  });

  it('reports an acknowledged operation without its row as lost and a slow answer as unanswered', () => {
    const operations = [
      anOperation({ id: 'never-written' }),
      anOperation({
        kind: 'addComment',
        outcome: 'errored',
        code: 'TIMEOUT',
        id: null,
        latencyMs: 15_000,
      }),
      anOperation({ kind: 'assignTicket', ticketId: TICKET, assigneeId: AGENT, id: TICKET }),
      anOperation({ kind: 'register', id: ADA, latencyMs: 16_000 }),
    ];
    expect(whats(healthy(), scope({ operations }))).toEqual([
      'lost: acknowledged operation not committed',
      'unanswered: no answer within 15 s',
      'lost: acknowledged operation not committed',
      'unanswered: no answer within 15 s',
    ]);
  });
});

describe('expectedNotifications', () => {
  it('spares people what they did themselves, as the notification rules do', () => {
    const comment = event({
      type: 'ticket.commented',
      payload: { requesterId: ADA, assigneeId: AGENT, authorId: ADA, internal: false },
    });
    expect(expectedNotifications(comment)?.map((n) => n.recipientId)).toEqual([AGENT, AGENT]);
    const selfAssigned = event({
      type: 'ticket.assigned',
      actorId: AGENT,
      payload: { requesterId: ADA, assigneeId: AGENT },
    });
    expect(expectedNotifications(selfAssigned)).toEqual([
      { recipientId: ADA, channel: 'IN_APP' },
      { recipientId: ADA, channel: 'EMAIL' },
    ]);
    expect(expectedNotifications(event({ type: 'ticket.sla_breached' }))).toBeNull();
  });
});

describe('selfTest', () => {
  it('passes on a real snapshot and on an empty one', () => {
    expect(selfTest(healthy())).toEqual([]);
    const empty: Snapshot = {
      ...healthy(),
      events: [],
      auditEventIds: [],
      notifications: [],
      mails: [],
    };
    expect(selfTest(empty)).toEqual([]);
  });

  it('still notices a forged copy when the snapshot already holds a duplicate', () => {
    const snapshot = healthy();
    snapshot.mails.push({ ...snapshot.mails[0], messageId: 'random.1@mailer' });
    expect(selfTest(snapshot)).toEqual([]);
  });
});
