import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { EventEnvelope } from '@servicedesk/contracts';
import {
  EventPublisher,
  ServiceEnvironment,
  ServiceInstance,
  anEvent,
  anIdentity,
  dataOf,
  scrapeMetric,
  waitFor,
} from '@servicedesk/testing';
import { AuditConfig } from '../src/config';
import {
  AUDIT_QUEUE,
  AUDIT_ROW_COLUMNS,
  AuditRow,
  auditEnvironment,
} from './audit-service.fixture';

const VERIFY = `query { verifyAuditChain { ok checked firstBrokenSeq } }`;

/**
 * A backlog waiting in the queue when the service starts (after an outage, a deploy) is
 * consumed a batch at a time: each batch appended under one chain lock, in one transaction.
 */
describe('audit service: draining a backlog', () => {
  let environment: ServiceEnvironment<AuditConfig, INestApplication>;
  let db: Client;
  let publisher: EventPublisher;
  let audit: ServiceInstance<INestApplication>;

  const tickets = Array.from({ length: 40 }, () => randomUUID());
  /** Ten events per ticket, the tickets interleaved as traffic would have them. */
  const ticketEvents = Array.from({ length: 10 }, (_, round) =>
    tickets.map((ticketId) =>
      round === 0
        ? anEvent('ticket.created', { aggregateId: ticketId })
        : anEvent('ticket.commented', { aggregateId: ticketId }),
    ),
  ).flat();
  const userId = randomUUID();
  /** A person's story told within the backlog, their erasure in the middle of it. */
  const story = [
    anEvent('user.registered', {
      aggregateId: userId,
      payload: { email: `grace-${userId.slice(0, 8)}@example.com`, name: 'Grace Hopper' },
    }),
    anEvent('ticket.created', { payload: { requesterId: userId, title: 'Printer on fire' } }),
    anEvent('user.erased', { aggregateId: userId }),
    anEvent('appointment.cancelled', { payload: { customerId: userId, reason: 'moved away' } }),
  ];
  const backlog: EventEnvelope[] = [
    ...ticketEvents.slice(0, 150),
    story[0],
    ...ticketEvents.slice(150, 250),
    story[1],
    story[2],
    ...ticketEvents.slice(250),
    story[3],
  ];

  beforeAll(async () => {
    environment = await auditEnvironment();
    db = await environment.connectDatabase();
    publisher = await environment.eventPublisher();
    // A first start declares the queue; the backlog then builds up while no instance runs.
    await (await environment.startInstance()).close();
    for (const event of backlog) await publisher.publish(event);
    audit = await environment.startInstance();
    await waitFor(
      async () => {
        const { rows } = await db.query<{ count: number }>(
          'SELECT count(*)::int AS count FROM audit.audit_entry',
        );
        return rows[0].count >= backlog.length;
      },
      { description: `the ${backlog.length} events of the backlog in the log` },
    );
  });

  afterAll(() => environment?.close());

  const batchSizes = (suffix: string, labels: Record<string, string> = {}) =>
    scrapeMetric(audit.managementUrl, `messaging_consumer_batch_size_${suffix}`, {
      queue: AUDIT_QUEUE,
      ...labels,
    });

  it('records every event of the backlog once, in one chain, in batches', async () => {
    const { rows } = await db.query<AuditRow>(
      `SELECT ${AUDIT_ROW_COLUMNS} FROM audit.audit_entry ORDER BY audit_entry.seq`,
    );

    expect(rows.map((row) => row.event_id).sort()).toEqual(backlog.map((event) => event.id).sort());
    expect(rows.map((row) => row.seq)).toEqual(rows.map((_, index) => String(index + 1)));
    for (const ticketId of tickets) {
      expect(
        rows.filter((row) => row.aggregate_id === ticketId).map((row) => row.event_id),
      ).toEqual(
        ticketEvents.filter((event) => event.aggregateId === ticketId).map((event) => event.id),
      );
    }
    expect(await batchSizes('sum')).toBe(backlog.length);
    // Some batch held more than one message (a backlog is never handed over one by one).
    expect(await batchSizes('bucket', { le: '1' })).toBeLessThan((await batchSizes('count')) ?? 0);
    const verification = dataOf(await audit.query(VERIFY, {}, anIdentity('ADMIN')));
    expect(verification).toEqual({
      verifyAuditChain: { ok: true, checked: backlog.length, firstBrokenSeq: null },
    });
  });

  it("records an erasure in the backlog in order: the person's data before it unreadable, after it blank", async () => {
    const { rows } = await db.query<{ type: string; payload: Record<string, unknown> }>(
      `SELECT type, payload FROM audit.audit_entry WHERE event_id = ANY($1) ORDER BY seq`,
      [story.map((event) => event.id)],
    );

    expect(rows.map((row) => row.type)).toEqual(story.map((event) => event.type));
    expect(rows[0].payload).toMatchObject({
      email: { $personal: expect.stringMatching(/^v1\./) },
      name: { $personal: expect.stringMatching(/^v1\./) },
    });
    expect(rows[1].payload).toMatchObject({ title: { $personal: expect.stringMatching(/^v1\./) } });
    expect(rows[3].payload).toMatchObject({ reason: { $personal: null } });
    const { rows: keys } = await db.query(
      'SELECT 1 FROM audit.subject_keys WHERE subject_id = $1',
      [userId],
    );
    expect(keys).toEqual([]);
  });
});
