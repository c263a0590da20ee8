import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource, In } from 'typeorm';
import { EVENT_TYPES, EventEnvelope } from '@servicedesk/contracts';
import { UnitOfWork } from '@servicedesk/messaging';
import { createLogger } from '@servicedesk/platform';
import { ServiceEnvironment, anEvent, waitFor } from '@servicedesk/testing';
import { verifyAuditChain } from '../src/audit-log/audit-chain.verifier';
import { AuditEntry, toChainedEntry } from '../src/audit-log/audit-entry.entity';
import { AuditEventHandler } from '../src/audit-log/audit-event.handler';
import { AuditRecorder } from '../src/audit-log/audit-recorder.service';
import { AuditConfig } from '../src/config';
import { AUDIT_SCHEMA, createAuditDataSource } from '../src/data-source';
import { decryptField } from '../src/personal-data/field-cipher';
import { PersonalDataVault } from '../src/personal-data/personal-data.vault';
import { SubjectKeys } from '../src/personal-data/subject-keys';
import { AUDIT_ROW_COLUMNS, AuditRow, auditEnvironment } from './audit-service.fixture';

type StoredPayload = Record<string, unknown>;

/** Each personal field of a stored payload: sealed with a key, or blanked as erased. */
function personalForms(row: AuditRow): Record<string, 'sealed' | 'erased'> {
  const forms: Record<string, 'sealed' | 'erased'> = {};
  for (const [field, value] of Object.entries(row.payload as StoredPayload)) {
    if (typeof value === 'object' && value !== null && '$personal' in value) {
      forms[field] =
        (value as { $personal: string | null }).$personal === null ? 'erased' : 'sealed';
    }
  }
  return forms;
}

/**
 * The recorder and the handler as the consumer drives them, on a migrated database of their
 * own: a batch is what the consumer hands over in one inbox transaction.
 */
describe('audit log: appending a batch of events in one transaction', () => {
  let environment: ServiceEnvironment<AuditConfig, INestApplication>;
  let db: Client;
  let dataSource: DataSource;
  let unitOfWork: UnitOfWork;
  let recorder: AuditRecorder;
  let vault: PersonalDataVault;
  let handler: AuditEventHandler;

  beforeAll(async () => {
    environment = await auditEnvironment();
    db = await environment.connectDatabase();
    // Two connections: the concurrency test holds two transactions open at once.
    dataSource = createAuditDataSource({ ...environment.config, DATABASE_POOL_SIZE: 2 });
    await dataSource.initialize();
    const logger = createLogger('audit', 'silent');
    vault = new PersonalDataVault(new SubjectKeys(dataSource));
    recorder = new AuditRecorder(vault, logger);
    handler = new AuditEventHandler(recorder, vault, logger);
    unitOfWork = new UnitOfWork(dataSource, { source: 'audit', schema: AUDIT_SCHEMA });
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await environment?.close();
  });

  const handleBatch = (events: EventEnvelope[]) =>
    unitOfWork.run((tx) => handler.handleBatch(events, tx));

  async function handleOneByOne(events: EventEnvelope[]): Promise<void> {
    for (const event of events) await unitOfWork.run((tx) => handler.handle(event, tx));
  }

  async function rowsOf(events: readonly EventEnvelope[]): Promise<AuditRow[]> {
    const { rows } = await db.query<AuditRow>(
      `SELECT ${AUDIT_ROW_COLUMNS} FROM audit.audit_entry WHERE event_id = ANY($1) ORDER BY audit_entry.seq`,
      [events.map((event) => event.id)],
    );
    return rows;
  }

  const storedPayloadOf = async (event: EventEnvelope) =>
    (await rowsOf([event]))[0].payload as StoredPayload;

  async function logLength(): Promise<number> {
    const { rows } = await db.query<{ count: string }>('SELECT count(*) FROM audit.audit_entry');
    return Number(rows[0].count);
  }

  async function verifyWholeLog() {
    const entries = await dataSource.getRepository(AuditEntry).find({ order: { seq: 'ASC' } });
    return verifyAuditChain(
      (async function* () {
        yield entries.map(toChainedEntry);
      })(),
    );
  }

  async function keyOf(subjectId: string): Promise<Buffer | null> {
    const { rows } = await db.query<{ key: Buffer }>(
      'SELECT key FROM audit.subject_keys WHERE subject_id = $1',
      [subjectId],
    );
    return rows[0]?.key ?? null;
  }

  const registration = (userId: string = randomUUID()) =>
    anEvent('user.registered', {
      aggregateId: userId,
      payload: { email: `ada-${userId.slice(0, 8)}@example.com`, name: 'Ada Lovelace' },
    });
  const ticketOf = (requesterId: string) =>
    anEvent('ticket.created', { payload: { requesterId, title: `Help ${requesterId}` } });
  const cancellationOf = (customerId: string) =>
    anEvent('appointment.cancelled', { payload: { customerId, reason: 'moved away' } });

  it('makes the chain single appends make: a log written by a mix of both verifies, entry after entry', async () => {
    const before = await logLength();
    const events = Array.from({ length: 14 }, (_, index) =>
      anEvent(EVENT_TYPES[index % EVENT_TYPES.length]),
    );

    await handleOneByOne(events.slice(0, 3));
    await handleBatch(events.slice(3, 8));
    await handleOneByOne(events.slice(8, 10));
    await handleBatch(events.slice(10));

    const rows = await rowsOf(events);
    expect(rows.map((row) => row.event_id)).toEqual(events.map((event) => event.id));
    expect(rows.map((row) => row.seq)).toEqual(
      events.map((_, index) => String(before + index + 1)),
    );
    rows.slice(1).forEach((row, index) => {
      expect(row.prev_hash).toBe(rows[index].hash);
      expect(row.recorded_at.getTime()).toBeGreaterThanOrEqual(rows[index].recorded_at.getTime());
    });
    // A batch is recorded at one instant of the database clock, taken under the lock.
    expect(new Set(rows.slice(3, 8).map((row) => row.recorded_at.getTime())).size).toBe(1);
    expect(await verifyWholeLog()).toEqual({
      ok: true,
      checked: before + events.length,
      firstBrokenSeq: null,
    });
  });

  it('skips events already in the log and repeats within the batch, whatever the case of their id', async () => {
    const [assigned, commented, created] = [
      anEvent('ticket.assigned'),
      anEvent('ticket.commented'),
      anEvent('ticket.created'),
    ];
    await handleBatch([commented]);
    const [commentedRow] = await rowsOf([commented]);

    const appended = await unitOfWork.run((tx) =>
      recorder.appendBatch(
        [assigned, commented, { ...assigned, id: assigned.id.toUpperCase() }, created, commented],
        tx.manager,
      ),
    );

    expect(appended.map((entry) => [entry.eventId, entry.seq])).toEqual([
      [assigned.id, String(Number(commentedRow.seq) + 1)],
      [created.id, String(Number(commentedRow.seq) + 2)],
    ]);
    const rows = await rowsOf([assigned, commented, created]);
    expect(rows.map((row) => row.event_id)).toEqual([commented.id, assigned.id, created.id]);

    const lengthBefore = await logLength();
    await expect(
      unitOfWork.run((tx) => recorder.appendBatch([created, assigned, commented], tx.manager)),
    ).resolves.toEqual([]);
    expect(await logLength()).toBe(lengthBefore);
    expect(await rowsOf([assigned, commented, created])).toEqual(rows);
    expect((await verifyWholeLog()).ok).toBe(true);
  });

  it('uses the same few statements for a batch of 1 and of 200, with or without personal data and erasures', async () => {
    async function statementsOf(events: EventEnvelope[]): Promise<number> {
      return unitOfWork.run(async (tx) => {
        const runner = tx.manager.queryRunner;
        if (!runner) throw new Error('a transaction has its query runner');
        const query = jest.spyOn(runner, 'query');
        try {
          await handler.handleBatch(events, tx);
          return query.mock.calls.length;
        } finally {
          query.mockRestore();
        }
      });
    }
    const comments = (count: number) =>
      Array.from({ length: count }, () => anEvent('ticket.commented'));
    const registrations = (count: number) => Array.from({ length: count }, () => registration());
    const erasures = (count: number) => Array.from({ length: count }, () => anEvent('user.erased'));

    // The lock, the head (with the events already recorded), one INSERT of the entries.
    expect(await statementsOf(comments(1))).toBe(3);
    expect(await statementsOf(comments(200))).toBe(3);
    // Plus one statement that reads keys and tombstones and creates the keys missing.
    expect(await statementsOf(registrations(1))).toBe(4);
    expect(await statementsOf(registrations(200))).toBe(4);
    // Plus one that destroys the keys of the people erased and leaves their tombstones.
    expect(await statementsOf(erasures(1))).toBe(4);
    expect(await statementsOf([...registrations(150), ...erasures(50)])).toBe(5);
  });

  it('seals the personal data of many people in one batch, each with their own key, an existing key kept', async () => {
    const known = registration();
    await handleBatch([known]);
    const knownKey = await keyOf(known.payload.userId);
    const newcomers = Array.from({ length: 40 }, () => registration());
    const tickets = [known, ...newcomers].map((registered) => ticketOf(registered.payload.userId));
    const batch = [...newcomers, ...tickets];

    await handleBatch(batch);

    expect(knownKey).toBeInstanceOf(Buffer);
    expect(await keyOf(known.payload.userId)).toEqual(knownKey);
    const { rows: keys } = await db.query(
      'SELECT subject_id FROM audit.subject_keys WHERE subject_id = ANY($1)',
      [newcomers.map((registered) => registered.payload.userId)],
    );
    expect(keys).toHaveLength(newcomers.length);
    const rows = await rowsOf(batch);
    for (const row of rows) {
      expect(Object.values(personalForms(row))).toEqual(
        row.type === 'user.registered' ? ['sealed', 'sealed'] : ['sealed'],
      );
    }
    const stored = JSON.stringify(rows.map((row) => row.payload));
    for (const registered of newcomers) expect(stored).not.toContain(registered.payload.email);

    const entries = await dataSource
      .getRepository(AuditEntry)
      .find({ where: { seq: In(rows.map((row) => row.seq)) }, order: { seq: 'ASC' } });
    const readable = await vault.reveal(entries);
    expect(
      readable.map((entry) => [entry.eventId, entry.payload, entry.personalDataErased]),
    ).toEqual(batch.map((event) => [event.id, event.payload, false]));
  });

  it('records an erasure inside a batch in order: earlier events sealed with the key it destroys, later ones as erased', async () => {
    const userId = randomUUID();
    await handleBatch([registration(userId)]);
    const key = await keyOf(userId);
    if (!key) throw new Error('the registration gave the person no key');
    const before = ticketOf(userId);
    const erased = anEvent('user.erased', { aggregateId: userId });
    const after = ticketOf(userId);
    const cancelledAfter = cancellationOf(userId);
    const someoneElse = registration();

    await handleBatch([before, erased, after, someoneElse, cancelledAfter]);

    const sealedTitle = (await storedPayloadOf(before)).title as { $personal: string };
    expect(decryptField(key, userId, 'title', sealedTitle.$personal)).toBe(before.payload.title);
    expect(await storedPayloadOf(after)).toMatchObject({ title: { $personal: null } });
    expect(await storedPayloadOf(cancelledAfter)).toMatchObject({ reason: { $personal: null } });
    expect(await keyOf(userId)).toBeNull();
    const { rows: tombstones } = await db.query(
      'SELECT erased_at FROM audit.erased_subjects WHERE subject_id = $1',
      [userId],
    );
    expect(tombstones).toEqual([{ erased_at: new Date(erased.occurredAt) }]);
    expect(await keyOf(someoneElse.payload.userId)).toBeInstanceOf(Buffer);
    expect(personalForms((await rowsOf([someoneElse]))[0])).toEqual({
      email: 'sealed',
      name: 'sealed',
    });
    expect((await verifyWholeLog()).ok).toBe(true);
  });

  it('treats a person first seen and erased within one batch exactly as single appends do', async () => {
    const story = (userId: string) => [
      registration(userId),
      ticketOf(userId),
      anEvent('user.erased', { aggregateId: userId }),
      registration(userId),
      cancellationOf(userId),
    ];
    const [batched, single] = [randomUUID(), randomUUID()];
    const batchedStory = story(batched);
    const singleStory = story(single);

    await handleBatch(batchedStory);
    await handleOneByOne(singleStory);

    const formsOf = async (events: EventEnvelope[]) =>
      (await rowsOf(events)).map((row) => [row.type, personalForms(row)]);
    expect(await formsOf(batchedStory)).toEqual([
      ['user.registered', { email: 'sealed', name: 'sealed' }],
      ['ticket.created', { title: 'sealed' }],
      ['user.erased', {}],
      ['user.registered', { email: 'erased', name: 'erased' }],
      ['appointment.cancelled', { reason: 'erased' }],
    ]);
    expect(await formsOf(batchedStory)).toEqual(await formsOf(singleStory));
    expect(await keyOf(batched)).toBeNull();
    expect(await keyOf(single)).toBeNull();
  });

  it('never gives a key to a person erased before the batch', async () => {
    const userId = randomUUID();
    await handleBatch([anEvent('user.erased', { aggregateId: userId })]);
    const lateRegistration = registration(userId);
    const late = [lateRegistration, ticketOf(userId)];

    await handleBatch(late);

    expect((await rowsOf(late)).map(personalForms)).toEqual([
      { email: 'erased', name: 'erased' },
      { title: 'erased' },
    ]);
    expect(JSON.stringify(await storedPayloadOf(lateRegistration))).not.toContain(
      lateRegistration.payload.email,
    );
    expect(await keyOf(userId)).toBeNull();
  });

  it('keeps the time of the first erasure of a person erased twice in one batch, as one at a time', async () => {
    const userId = randomUUID();
    const erasures = ['2026-03-02T10:00:00.000Z', '2026-03-01T10:00:00.000Z'].map((occurredAt) =>
      anEvent('user.erased', { aggregateId: userId, occurredAt }),
    );

    await handleBatch(erasures);

    const { rows } = await db.query(
      'SELECT erased_at FROM audit.erased_subjects WHERE subject_id = $1',
      [userId],
    );
    expect(rows).toEqual([{ erased_at: new Date('2026-03-02T10:00:00.000Z') }]);
    expect(await rowsOf(erasures)).toHaveLength(2);
  });

  it('serialises two batches from two transactions on the chain lock: the second continues the first', async () => {
    const first = Array.from({ length: 20 }, () => anEvent('ticket.commented'));
    const second = Array.from({ length: 20 }, () => anEvent('ticket.commented'));
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let firstAppended = () => {};
    const appended = new Promise<void>((resolve) => (firstAppended = resolve));

    const firstTransaction = unitOfWork.run(async (tx) => {
      await recorder.appendBatch(first, tx.manager);
      firstAppended();
      await released;
    });
    try {
      await appended;
      const secondTransaction = unitOfWork.run((tx) => recorder.appendBatch(second, tx.manager));
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT 1 FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
          );
          return rows.length === 1;
        },
        { description: 'the second batch to wait for the chain lock' },
      );
      expect(await rowsOf(second)).toEqual([]);
      release();
      await firstTransaction;
      const secondEntries = await secondTransaction;

      const firstRows = await rowsOf(first);
      const last = firstRows[firstRows.length - 1];
      expect(secondEntries[0]).toMatchObject({
        seq: String(Number(last.seq) + 1),
        prevHash: last.hash,
      });
      expect((await rowsOf([...first, ...second])).map((row) => Number(row.seq))).toEqual(
        [...first, ...second].map((_, index) => Number(firstRows[0].seq) + index),
      );
      expect((await verifyWholeLog()).ok).toBe(true);
    } finally {
      release();
      await firstTransaction.catch(() => undefined);
    }
  });

  it('appends a batch of 500 events of every type, each readable as it came', async () => {
    const before = await logLength();
    const events = Array.from({ length: 500 }, (_, index) =>
      anEvent(EVENT_TYPES[index % EVENT_TYPES.length]),
    );

    await handleBatch(events);

    const rows = await rowsOf(events);
    expect(rows.map((row) => row.event_id)).toEqual(events.map((event) => event.id));
    expect(rows[0].seq).toBe(String(before + 1));
    expect(rows[rows.length - 1].seq).toBe(String(before + 500));
    const entries = await dataSource
      .getRepository(AuditEntry)
      .find({ where: { seq: In(rows.map((row) => row.seq)) }, order: { seq: 'ASC' } });
    const readable = await vault.reveal(entries);
    expect(readable.map((entry) => entry.payload)).toEqual(
      events.map((event) => JSON.parse(JSON.stringify(event.payload)) as unknown),
    );
    expect(await verifyWholeLog()).toEqual({
      ok: true,
      checked: before + 500,
      firstBrokenSeq: null,
    });
  });
});
