import { randomUUID } from 'node:crypto';
import { parseEnvelope } from '@servicedesk/contracts';
import { DrainSample, auditBacklog, drainFigures, median } from './bench-audit-drain-figures';

describe('auditBacklog', () => {
  const people = [randomUUID(), randomUUID()];

  it('follows each ticket.created with the notification.sent of its in-app row and its email', () => {
    const backlog = auditBacklog(people, 2);
    expect(backlog.map((event) => event.type)).toEqual([
      'ticket.created',
      'notification.sent',
      'notification.sent',
      'ticket.created',
      'notification.sent',
      'notification.sent',
    ]);
    const [created, inApp, email] = backlog;
    expect(created.payload).toMatchObject({ requesterId: people[0] });
    expect(inApp.payload).toMatchObject({
      recipientId: people[0],
      channel: 'IN_APP',
      sourceEventId: created.id,
    });
    expect(email.payload).toMatchObject({ channel: 'EMAIL', sourceEventId: created.id });
    expect(backlog[3].payload).toMatchObject({ requesterId: people[1] });
  });

  it('builds envelopes that honour their contracts, each with an id of its own', () => {
    const backlog = auditBacklog(people, 3);
    for (const envelope of backlog) expect(parseEnvelope(envelope)).toEqual(envelope);
    expect(new Set(backlog.map((event) => event.id)).size).toBe(backlog.length);
  });
});

describe('drainFigures', () => {
  const sample = (at: number, recorded: number, auditCpuMs: number, databaseCpuMs: number) =>
    ({ at, recorded, auditCpuMs, databaseCpuMs }) satisfies DrainSample;

  it('counts from the first sample that saw an entry to the last, CPU per 1,000 entries', () => {
    const figures = drainFigures([
      sample(0, 0, 500, 10),
      sample(50, 0, 900, 20),
      sample(100, 200, 1000, 30),
      sample(600, 1200, 1250, 80),
      sample(1100, 2200, 1500, 130),
    ]);
    expect(figures).toEqual({
      events: 2000,
      seconds: 1,
      perSecond: 2000,
      auditCpuPerThousand: 0.25,
      databaseCpuPerThousand: 0.05,
    });
  });

  it('refuses a drain that no two samples saw', () => {
    expect(() => drainFigures([sample(0, 0, 0, 0), sample(50, 300, 10, 1)])).toThrow(
      /queue more events/,
    );
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
