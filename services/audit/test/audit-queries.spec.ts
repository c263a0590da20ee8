import { randomUUID } from 'node:crypto';
import { EventEnvelope, EventType } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';
import { actorOf, anEvent, anIdentity, waitFor } from '@servicedesk/testing';
import { AuditLogService } from '../src/audit-log/audit-log.service';
import { AuditServiceFixture, startAuditService } from './audit-service.fixture';

interface EntryNode {
  seq: string;
  eventId: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  actor: { id: string; role: string; user: { id: string } | null } | null;
  occurredAt: string;
  recordedAt: string;
  payload: Record<string, unknown>;
  hash: string;
  prevHash: string;
}

interface EntryConnection {
  edges: Array<{ cursor: string; node: EntryNode }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const ENTRY_FIELDS = `
  edges {
    cursor
    node {
      seq eventId type aggregateType aggregateId
      actor { id role user { id } }
      occurredAt recordedAt payload hash prevHash
    }
  }
  pageInfo { hasNextPage endCursor }`;

const AUDIT_LOG = `
  query AuditLog($filter: AuditFilter, $first: Int, $after: String) {
    auditLog(filter: $filter, first: $first, after: $after) { ${ENTRY_FIELDS} }
  }`;

const TICKET_TRAILS = `
  query TicketTrails($representations: [_Any!]!, $first: Int) {
    _entities(representations: $representations) {
      ... on Ticket { id auditTrail(first: $first) { ${ENTRY_FIELDS} } }
    }
  }`;

const admin = anIdentity('ADMIN');
const agent = anIdentity('AGENT');
const customer = anIdentity('CUSTOMER');

describe('audit service: reading the log', () => {
  let audit: AuditServiceFixture;
  const ticketA = randomUUID();
  const ticketB = randomUUID();
  const ticketC = randomUUID();
  /** An event `by` someone (null: the system), at `occurredAt`, about `aggregateId`. */
  const eventBy = (
    type: EventType,
    by: Identity | null,
    occurredAt: string,
    aggregateId?: string,
  ) => anEvent(type, { aggregateId, actor: by && actorOf(by), occurredAt });
  // Published in this order, one at a time, so seq order is the order below.
  const events: EventEnvelope[] = [
    eventBy('ticket.created', customer, '2025-03-01T10:00:00.000Z', ticketA),
    eventBy('user.role_changed', admin, '2025-03-01T10:05:00.000Z'),
    eventBy('ticket.assigned', agent, '2025-03-01T11:00:00.000Z', ticketA),
    eventBy('ticket.created', customer, '2025-03-02T09:00:00.000Z', ticketB),
    eventBy('ticket.commented', agent, '2025-03-02T12:00:00.000Z', ticketA),
    eventBy('ticket.sla_breached', null, '2025-03-03T09:00:00.000Z', ticketB),
    eventBy('ticket.status_changed', agent, '2025-03-03T15:00:00.000Z', ticketA),
  ];
  const ids = (list: EventEnvelope[]) => list.map((event) => event.id);
  const eventIdsOf = (connection: EntryConnection | undefined) =>
    connection?.edges.map((edge) => edge.node.eventId);

  beforeAll(async () => {
    audit = await startAuditService();
    for (const event of events) {
      await audit.publish(event);
      await waitFor(async () => (await audit.entriesOf([event.id])).length === 1, {
        description: `${event.type} ${event.id} in the log`,
      });
    }
  });

  afterAll(() => audit?.close());

  async function auditLog(variables: Record<string, unknown>, identity = admin) {
    return audit.query<{ auditLog: EntryConnection }>(AUDIT_LOG, variables, identity);
  }

  describe('auditLog', () => {
    it('lists every entry in seq order, with its chain fields, to an admin', async () => {
      const response = await auditLog({});
      expect(response.errors).toBeUndefined();
      const edges = response.data?.auditLog.edges ?? [];
      expect(edges.map((edge) => edge.node.eventId)).toEqual(ids(events));
      expect(edges.map((edge) => edge.node.seq)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
      const [first, second] = edges.map((edge) => edge.node);
      expect(first).toMatchObject({
        type: 'ticket.created',
        aggregateType: 'ticket',
        aggregateId: ticketA,
        actor: { id: customer.userId, role: 'CUSTOMER', user: { id: customer.userId } },
        occurredAt: '2025-03-01T10:00:00.000Z',
        payload: events[0].payload,
        prevHash: '0'.repeat(64),
      });
      expect(second.prevHash).toBe(first.hash);
      expect(edges[5].node.actor).toBeNull();
      expect(Date.parse(first.recordedAt)).not.toBeNaN();
    });

    it.each([
      ['aggregate', () => ({ aggregateType: 'ticket', aggregateId: ticketA }), () => [0, 2, 4, 6]],
      ['actor', () => ({ actorId: agent.userId }), () => [2, 4, 6]],
      ['type', () => ({ type: 'ticket.created' }), () => [0, 3]],
      ['aggregate type', () => ({ aggregateType: 'user' }), () => [1]],
      [
        'time range (from inclusive, to exclusive)',
        () => ({
          occurredFrom: '2025-03-01T11:00:00.000Z',
          occurredTo: '2025-03-03T09:00:00.000Z',
        }),
        () => [2, 3, 4],
      ],
      [
        'several conditions at once',
        () => ({
          aggregateId: ticketA,
          actorId: agent.userId,
          occurredFrom: '2025-03-02T00:00:00Z',
        }),
        () => [4, 6],
      ],
    ])('filters by %s', async (_name, filter, expected) => {
      const response = await auditLog({ filter: filter() });
      expect(response.errors).toBeUndefined();
      expect(eventIdsOf(response.data?.auditLog)).toEqual(
        expected().map((index) => events[index].id),
      );
    });

    it('pages through the log with first/after', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const response = await auditLog({ first: 3, after });
        expect(response.errors).toBeUndefined();
        const connection = response.data!.auditLog;
        seen.push(...(eventIdsOf(connection) ?? []));
        pages += 1;
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(ids(events));
    });

    it('pages within a filter', async () => {
      const first = await auditLog({ filter: { aggregateId: ticketA }, first: 2 });
      expect(eventIdsOf(first.data?.auditLog)).toEqual([events[0].id, events[2].id]);
      expect(first.data?.auditLog.pageInfo.hasNextPage).toBe(true);
      const rest = await auditLog({
        filter: { aggregateId: ticketA },
        first: 2,
        after: first.data?.auditLog.pageInfo.endCursor,
      });
      expect(eventIdsOf(rest.data?.auditLog)).toEqual([events[4].id, events[6].id]);
      expect(rest.data?.auditLog.pageInfo).toMatchObject({ hasNextPage: false });
    });

    it.each([
      ['first above 100', { first: 101 }, 'first'],
      ['a negative first', { first: -1 }, 'first'],
      ['a cursor it never returned', { after: 'bm90LWEtY3Vyc29y' }, 'after'],
      ['an actorId that is not a user id', { filter: { actorId: 'nobody' } }, 'filter.actorId'],
      [
        'an occurredFrom that is not a date',
        { filter: { occurredFrom: 'yesterday' } },
        'filter.occurredFrom',
      ],
      [
        'a time range that ends before it starts',
        { filter: { occurredFrom: '2025-03-02T00:00:00Z', occurredTo: '2025-03-01T00:00:00Z' } },
        'filter.occurredTo',
      ],
    ])('rejects %s as BAD_USER_INPUT', async (_name, variables, field) => {
      const response = await auditLog(variables);
      expect(response.data).toBeNull();
      expect(response.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });

    it.each([
      ['an agent', agent, 'FORBIDDEN'],
      ['a customer', customer, 'FORBIDDEN'],
      ['an anonymous caller', null, 'UNAUTHENTICATED'],
    ])('is refused to %s', async (_name, identity, code) => {
      const response = await audit.query(AUDIT_LOG, {}, identity);
      expect(response.data).toBeNull();
      expect(response.errors?.[0].extensions?.code).toBe(code);
    });
  });

  describe('verifyAuditChain', () => {
    it('is refused to an agent', async () => {
      const response = await audit.query(`query { verifyAuditChain { ok } }`, {}, agent);
      expect(response.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('Ticket.auditTrail', () => {
    const representations = [ticketA, ticketB, ticketC].map((id) => ({ __typename: 'Ticket', id }));

    it("lists each ticket's events in order, to an agent, with one query for all tickets", async () => {
      const service = audit.app.get(AuditLogService);
      const trails = jest.spyOn(service, 'trails');
      try {
        const response = await audit.query<{
          _entities: Array<{ id: string; auditTrail: EntryConnection }>;
        }>(TICKET_TRAILS, { representations }, agent);

        expect(response.errors).toBeUndefined();
        const [a, b, c] = response.data!._entities;
        expect(a.id).toBe(ticketA);
        expect(eventIdsOf(a.auditTrail)).toEqual([0, 2, 4, 6].map((index) => events[index].id));
        expect(eventIdsOf(b.auditTrail)).toEqual([3, 5].map((index) => events[index].id));
        expect(c.auditTrail).toEqual({
          edges: [],
          pageInfo: { hasNextPage: false, endCursor: null },
        });
        expect(trails).toHaveBeenCalledTimes(1);
        expect(trails.mock.calls[0][1]).toEqual([ticketA, ticketB, ticketC]);
      } finally {
        trails.mockRestore();
      }
    });

    it('pages a trail', async () => {
      const response = await audit.query<{ _entities: Array<{ auditTrail: EntryConnection }> }>(
        TICKET_TRAILS,
        { representations: representations.slice(0, 1), first: 3 },
        admin,
      );
      expect(eventIdsOf(response.data?._entities[0].auditTrail)).toEqual(
        [0, 2, 4].map((index) => events[index].id),
      );
      expect(response.data?._entities[0].auditTrail.pageInfo.hasNextPage).toBe(true);
    });

    it('is refused to a customer, even for their own ticket', async () => {
      const response = await audit.query(TICKET_TRAILS, { representations }, customer);
      expect(response.errors?.[0]).toMatchObject({
        path: ['_entities', 0, 'auditTrail'],
        extensions: { code: 'FORBIDDEN' },
      });
      expect(JSON.stringify(response.data)).not.toContain(events[0].id);
    });
  });

  it('answers HTTP 401 to a caller without a service credential, before running anything', async () => {
    const response = await fetch(`${audit.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query { verifyAuditChain { ok } }' }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
