import { EVENT_TYPES, EventEnvelope, splitPersonalData } from '@servicedesk/contracts';
import { actorOf, anEvent, anIdentity, waitFor } from '@servicedesk/testing';
import { GENESIS_HASH } from '../src/audit-log/audit-hash';
import {
  AUDIT_QUEUE,
  AUDIT_ROW_COLUMNS,
  AuditRow,
  AuditServiceFixture,
  startAuditService,
} from './audit-service.fixture';

const VERIFY = `query { verifyAuditChain { ok checked firstBrokenSeq } }`;

describe('audit service: recording events from the broker', () => {
  let audit: AuditServiceFixture;

  beforeAll(async () => {
    audit = await startAuditService();
  });

  afterAll(() => audit?.close());

  async function recorded(eventIds: string[], description: string): Promise<AuditRow[]> {
    return waitFor(
      async () => {
        const rows = await audit.entriesOf(eventIds);
        return rows.length === eventIds.length && rows;
      },
      { description },
    );
  }

  async function allEntries(): Promise<AuditRow[]> {
    const { rows } = await audit.db.query<AuditRow>(
      `SELECT ${AUDIT_ROW_COLUMNS} FROM audit.audit_entry ORDER BY audit_entry.seq`,
    );
    return rows;
  }

  /** The payload as stored: personal fields sealed (see test/audit-erasure.spec.ts). */
  function storedForm(event: EventEnvelope): Record<string, unknown> {
    const split = splitPersonalData<unknown>(event.type, event.payload);
    if (!split) return event.payload;
    const sealed = Object.entries(split.personal).map(([field, value]) => [
      field,
      value === null ? null : { $personal: expect.stringMatching(/^v1\./) },
    ]);
    return { ...split.rest, ...Object.fromEntries(sealed) };
  }

  it('records every event type of the platform, with the envelope it came in and its personal data sealed', async () => {
    const actor = actorOf(anIdentity('AGENT'));
    const events = EVENT_TYPES.map((type) => anEvent(type, { actor }));
    for (const event of events) await audit.publish(event);

    const rows = await recorded(
      events.map((event) => event.id),
      `all ${events.length} event types in the log`,
    );

    expect(rows.map((row) => row.type).sort()).toEqual([...EVENT_TYPES].sort());
    for (const event of events) {
      const row = rows.find((candidate) => candidate.event_id === event.id);
      expect(row).toMatchObject({
        source: event.source,
        aggregate_type: event.aggregateType,
        aggregate_id: event.aggregateId,
        actor_id: actor.id,
        actor_role: 'AGENT',
        correlation_id: event.correlationId,
        payload: storedForm(event),
      });
      expect(row?.occurred_at.toISOString()).toBe(event.occurredAt);
    }
  });

  it('records an event delivered twice only once', async () => {
    const event = anEvent('ticket.assigned');
    const duplicatesBefore = await audit.metric('messaging_consumed_total', {
      queue: AUDIT_QUEUE,
      outcome: 'duplicate',
    });

    await audit.publish(event);
    await recorded([event.id], 'the first delivery in the log');
    await audit.publish(event);
    await audit.publish(event);
    await waitFor(
      async () =>
        (await audit.metric('messaging_consumed_total', {
          queue: AUDIT_QUEUE,
          outcome: 'duplicate',
        })) >=
        duplicatesBefore + 2,
      { description: 'both redeliveries to be consumed as duplicates' },
    );

    expect(await audit.entriesOf([event.id])).toHaveLength(1);
  });

  it('links each entry to the hash of the entry before it, in seq order', async () => {
    const events = [
      anEvent('user.registered'),
      anEvent('ticket.created'),
      anEvent('ticket.commented'),
    ];
    for (const event of events) await audit.publish(event);
    await recorded(
      events.map((event) => event.id),
      'the three events in the log',
    );

    const entries = await allEntries();
    expect(entries[0]).toMatchObject({ seq: '1', prev_hash: GENESIS_HASH });
    entries.slice(1).forEach((entry, index) => {
      expect(entry.seq).toBe(String(index + 2));
      expect(entry.prev_hash).toBe(entries[index].hash);
      expect(entry.recorded_at.getTime()).toBeGreaterThanOrEqual(
        entries[index].recorded_at.getTime(),
      );
    });
    expect(new Set(entries.map((entry) => entry.hash)).size).toBe(entries.length);
  });

  it('keeps one unbroken chain under a burst of 50 events consumed by two replicas', async () => {
    const replica = await audit.startReplica();
    const instances = [audit.managementUrl, replica.managementUrl];
    const consumed = (outcome: string) =>
      Promise.all(
        instances.map((instance) =>
          audit.metric('messaging_consumed_total', { queue: AUDIT_QUEUE, outcome }, instance),
        ),
      );
    const retriedBefore = await consumed('retried');
    const processedBefore = await consumed('processed');
    const before = (await allEntries()).length;
    const events = Array.from({ length: 50 }, (_, index) =>
      anEvent(EVENT_TYPES[index % EVENT_TYPES.length]),
    );
    await Promise.all(events.map((event) => audit.publish(event)));

    await recorded(
      events.map((event) => event.id),
      'the 50 events of the burst in the log',
    );

    const entries = await allEntries();
    expect(entries).toHaveLength(before + 50);
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, index) => String(index + 1)));
    // Appends were serialised by the chain lock, not by failing on a taken seq and retrying.
    expect(await consumed('retried')).toEqual(retriedBefore);
    const processed = (await consumed('processed')).map(
      (count, index) => count - processedBefore[index],
    );
    expect(processed.every((count) => count > 0)).toBe(true);
    const verification = await audit.query(VERIFY, {}, anIdentity('ADMIN'));
    expect(verification.errors).toBeUndefined();
    expect(verification.data).toEqual({
      verifyAuditChain: { ok: true, checked: entries.length, firstBrokenSeq: null },
    });
  });

  it('parks a malformed message in audit.events.dlq without recording it', async () => {
    const invalid = { ...anEvent('ticket.created'), payload: { ticketId: 'not-a-uuid' } };
    const dlqBefore = (await audit.broker.checkQueue(`${AUDIT_QUEUE}.dlq`)).messageCount;

    await audit.publish(invalid);
    await audit.publishRaw('ticket.created', Buffer.from('{ not json'));

    await waitFor(
      async () =>
        (await audit.broker.checkQueue(`${AUDIT_QUEUE}.dlq`)).messageCount >= dlqBefore + 2,
      { description: 'both malformed messages in the DLQ' },
    );
    expect(await audit.entriesOf([invalid.id])).toHaveLength(0);
  });
});
