import { randomUUID } from 'node:crypto';
import { EventEnvelope } from '@servicedesk/contracts';
import { anEvent, anIdentity, dataOf, waitFor } from '@servicedesk/testing';
import { SubjectKeys } from '../src/personal-data/subject-keys';
import { AuditServiceFixture, startAuditService } from './audit-service.fixture';

interface ReadEntry {
  eventId: string;
  payload: Record<string, unknown>;
  personalDataErased: boolean;
}

interface ReadConnection {
  edges: Array<{ node: ReadEntry }>;
}

const ENTRY = `edges { node { eventId payload personalDataErased } }`;
const AUDIT_LOG = `query AuditLog($filter: AuditFilter, $first: Int) {
  auditLog(filter: $filter, first: $first) { ${ENTRY} }
}`;
const TICKET_TRAILS = `query Trails($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Ticket { id auditTrail { ${ENTRY} } } }
}`;
const VERIFY = `query { verifyAuditChain { ok checked firstBrokenSeq } }`;

const admin = anIdentity('ADMIN');

/** Crypto-shredding: personal data in the log is sealed per person and destroyed with their key. */
describe('audit service: personal data and erasure', () => {
  let audit: AuditServiceFixture;

  beforeAll(async () => {
    audit = await startAuditService();
  });

  afterAll(() => audit?.close());

  async function record(...events: EventEnvelope[]): Promise<void> {
    for (const event of events) {
      await audit.publish(event);
      await waitFor(async () => (await audit.entriesOf([event.id])).length === 1, {
        description: `${event.type} ${event.id} in the log`,
      });
    }
  }

  async function readAll(filter: Record<string, unknown>): Promise<ReadEntry[]> {
    const response = await audit.query<{ auditLog: ReadConnection }>(
      AUDIT_LOG,
      { filter, first: 100 },
      admin,
    );
    return dataOf(response).auditLog.edges.map((edge) => edge.node);
  }

  async function readOne(event: EventEnvelope): Promise<ReadEntry> {
    const entries = await readAll({ aggregateId: event.aggregateId, type: event.type });
    const entry = entries.find((candidate) => candidate.eventId === event.id);
    if (!entry) throw new Error(`${event.id} is not in the log`);
    return entry;
  }

  async function storedPayload(event: EventEnvelope): Promise<Record<string, unknown>> {
    const [row] = await audit.entriesOf([event.id]);
    return row.payload as Record<string, unknown>;
  }

  const keyCount = async (subjectId: string) => {
    const { rows } = await audit.db.query(
      'SELECT 1 FROM audit.subject_keys WHERE subject_id = $1',
      [subjectId],
    );
    return rows.length;
  };

  const registration = (userId = randomUUID()) =>
    anEvent('user.registered', {
      aggregateId: userId,
      payload: { email: `ada-${userId.slice(0, 8)}@example.com`, name: 'Ada Lovelace' },
    });

  it('stores personal fields encrypted with a key of their own person, the rest in clear', async () => {
    const registered = registration();
    await record(registered);

    const stored = await storedPayload(registered);

    expect(JSON.stringify(stored)).not.toContain(registered.payload.email);
    expect(JSON.stringify(stored)).not.toContain(registered.payload.name);
    expect(stored).toEqual({
      userId: registered.payload.userId,
      role: registered.payload.role,
      timeZone: registered.payload.timeZone,
      email: { $personal: expect.stringMatching(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/) },
      name: { $personal: expect.stringMatching(/^v1\./) },
    });
    expect(await keyCount(registered.payload.userId)).toBe(1);
  });

  it('reads personal data back decrypted while the person is not erased', async () => {
    const registered = registration();
    await record(registered);

    expect(await readOne(registered)).toEqual({
      eventId: registered.id,
      payload: registered.payload,
      personalDataErased: false,
    });
  });

  it('makes personal data unreadable after user.erased, and the chain still verifies', async () => {
    const userId = randomUUID();
    const registered = registration(userId);
    const requested = anEvent('ticket.created', { payload: { requesterId: userId } });
    const othersTicket = anEvent('ticket.created');
    await record(registered, requested, othersTicket);
    const storedBefore = await storedPayload(registered);

    const erased = anEvent('user.erased', { aggregateId: userId });
    await record(erased);

    expect(await keyCount(userId)).toBe(0);
    const { rows } = await audit.db.query(
      'SELECT erased_at FROM audit.erased_subjects WHERE subject_id = $1',
      [userId],
    );
    expect(rows).toEqual([{ erased_at: new Date(erased.occurredAt) }]);
    expect(await storedPayload(registered)).toEqual(storedBefore);
    expect(await readOne(registered)).toEqual({
      eventId: registered.id,
      payload: { ...registered.payload, email: null, name: null },
      personalDataErased: true,
    });
    expect(await readOne(requested)).toMatchObject({
      payload: { ...requested.payload, title: null },
      personalDataErased: true,
    });
    expect(await readOne(othersTicket)).toMatchObject({
      payload: othersTicket.payload,
      personalDataErased: false,
    });
    expect(await readOne(erased)).toMatchObject({
      payload: { userId },
      personalDataErased: false,
    });

    const verification = dataOf(await audit.query(VERIFY, {}, admin));
    expect(verification).toMatchObject({ verifyAuditChain: { ok: true, firstBrokenSeq: null } });
  });

  it('never gives a fresh key to a person erased before a late event about them arrives', async () => {
    const userId = randomUUID();
    const erased = anEvent('user.erased', { aggregateId: userId });
    const late = registration(userId);

    await record(erased, late);

    expect(await storedPayload(late)).toMatchObject({
      email: { $personal: null },
      name: { $personal: null },
    });
    expect(JSON.stringify(await storedPayload(late))).not.toContain(late.payload.email);
    expect(await keyCount(userId)).toBe(0);
    expect(await readOne(late)).toEqual({
      eventId: late.id,
      payload: { ...late.payload, email: null, name: null },
      personalDataErased: true,
    });
    expect(dataOf(await audit.query(VERIFY, {}, admin))).toMatchObject({
      verifyAuditChain: { ok: true },
    });
  });

  it('looks the keys of a whole page up at once, however many people it holds', async () => {
    const registrations = [registration(), registration(), registration()];
    const tickets = registrations.map((registered) =>
      anEvent('ticket.created', { payload: { requesterId: registered.payload.userId } }),
    );
    await record(...registrations, ...tickets);
    const lookups = jest.spyOn(audit.app.get(SubjectKeys), 'find');
    try {
      const page = await readAll({ type: 'user.registered' });
      expect(page.length).toBeGreaterThanOrEqual(registrations.length);
      expect(lookups).toHaveBeenCalledTimes(1);

      const response = await audit.query<{
        _entities: Array<{ id: string; auditTrail: ReadConnection }>;
      }>(
        TICKET_TRAILS,
        {
          representations: tickets.map((ticket) => ({
            __typename: 'Ticket',
            id: ticket.aggregateId,
          })),
        },
        anIdentity('AGENT'),
      );
      const trails = dataOf(response)._entities.map((ticket) => ticket.auditTrail.edges[0].node);
      expect(trails.map((entry) => entry.payload.title)).toEqual(
        tickets.map((ticket) => ticket.payload.title),
      );
      expect(lookups).toHaveBeenCalledTimes(2);
    } finally {
      lookups.mockRestore();
    }
  });
});
