import { randomUUID } from 'node:crypto';
import { Identity } from '@servicedesk/platform';
import { anIdentity, dataOf, errorOf, postGraphQL, subgraphClient } from '@servicedesk/testing';
import {
  CREATE_TICKET,
  ConnectionView,
  ENTITIES,
  GET_TICKET,
  LIST_TICKETS,
  TicketView,
  aTicketInput,
  createTicket,
  getTicket,
} from './builders';
import { TicketServiceFixture, startTicketService } from './ticket-service.fixture';

const HOUR_MS = 3_600_000;

describe('ticket service: opening, reading and listing tickets', () => {
  let service: TicketServiceFixture;
  const alice = anIdentity('CUSTOMER');
  const bob = anIdentity('CUSTOMER');
  const agent = anIdentity('AGENT');
  const admin = anIdentity('ADMIN');

  beforeAll(async () => {
    service = await startTicketService();
  });

  afterAll(() => service?.close());

  async function list(
    viewer = agent,
    variables: Record<string, unknown> = {},
  ): Promise<ConnectionView> {
    return dataOf(await service.query<{ tickets: ConnectionView }>(LIST_TICKETS, variables, viewer))
      .tickets;
  }

  describe('createTicket', () => {
    it('opens a ticket for the calling customer with SLA due times from its priority', async () => {
      const before = Date.now();
      const ticket = await createTicket(service, alice, {
        title: '  Invoice shows the wrong VAT  ',
        description: 'Invoice 2024-118 uses 19 % instead of 7 %.',
        priority: 'URGENT',
        tags: ['billing', 'invoice'],
      });

      expect(ticket).toMatchObject({
        title: 'Invoice shows the wrong VAT',
        description: 'Invoice 2024-118 uses 19 % instead of 7 %.',
        status: 'OPEN',
        priority: 'URGENT',
        tags: ['billing', 'invoice'],
        requester: { id: alice.userId },
        assignee: null,
        firstRespondedAt: null,
        slaBreached: false,
        version: 1,
      });
      const createdAt = Date.parse(ticket.createdAt);
      expect(createdAt).toBeGreaterThanOrEqual(before);
      expect(Date.parse(ticket.firstResponseDueAt) - createdAt).toBe(1 * HOUR_MS);
      expect(Date.parse(ticket.resolutionDueAt) - createdAt).toBe(4 * HOUR_MS);
    });

    it('writes ticket.created to the outbox in the same transaction, with the contract payload', async () => {
      const ticket = await createTicket(service, alice, { priority: 'LOW', tags: ['printer'] });
      const rows = await service.outbox(ticket.id);

      expect(rows.map((row) => row.event_type)).toEqual(['ticket.created']);
      expect(rows[0].envelope).toMatchObject({
        type: 'ticket.created',
        source: 'ticket',
        aggregateType: 'ticket',
        aggregateId: ticket.id,
        actor: { id: alice.userId, role: 'CUSTOMER' },
        payload: {
          ticketId: ticket.id,
          requesterId: alice.userId,
          title: ticket.title,
          priority: 'LOW',
          status: 'OPEN',
          tags: ['printer'],
          firstResponseDueAt: ticket.firstResponseDueAt,
          resolutionDueAt: ticket.resolutionDueAt,
        },
      });
    });

    it('defaults the priority to NORMAL and the tags to none', async () => {
      const ticket = await createTicket(service, alice, { priority: undefined, tags: undefined });
      expect(ticket).toMatchObject({ priority: 'NORMAL', tags: [] });
      expect(Date.parse(ticket.firstResponseDueAt) - Date.parse(ticket.createdAt)).toBe(
        8 * HOUR_MS,
      );
    });

    it.each([
      ['an agent', agent],
      ['an admin', admin],
    ])('is refused to %s (FORBIDDEN), writing nothing', async (_who, identity) => {
      const tickets = await service.count('tickets');
      const response = await service.query(CREATE_TICKET, { input: aTicketInput() }, identity);
      expect(errorOf(response).code).toBe('FORBIDDEN');
      expect(await service.count('tickets')).toBe(tickets);
    });

    it('needs a signed-in user (UNAUTHENTICATED)', async () => {
      const response = await service.query(CREATE_TICKET, { input: aTicketInput() }, null);
      expect(errorOf(response).code).toBe('UNAUTHENTICATED');
    });
  });

  describe('ticket(id)', () => {
    it('shows a customer their own ticket and agents and admins any ticket', async () => {
      const ticket = await createTicket(service, alice);
      for (const viewer of [alice, agent, admin]) {
        expect(await getTicket(service, ticket.id, viewer)).toMatchObject({
          id: ticket.id,
          title: ticket.title,
        });
      }
    });

    it("answers NOT_FOUND, not FORBIDDEN, for another customer's ticket", async () => {
      const ticket = await createTicket(service, alice);
      const response = await service.query(GET_TICKET, { id: ticket.id }, bob);
      expect(errorOf(response).code).toBe('NOT_FOUND');
      expect(response.data?.ticket ?? null).toBeNull();
    });

    it('answers the same NOT_FOUND for a ticket that does not exist', async () => {
      const missing = randomUUID();
      const response = await service.query(GET_TICKET, { id: missing }, agent);
      expect(errorOf(response)).toMatchObject({
        code: 'NOT_FOUND',
        message: `Ticket ${missing} was not found`,
      });
    });

    it('rejects an id that is not a UUID with BAD_USER_INPUT on id', async () => {
      expect(errorOf(await service.query(GET_TICKET, { id: 'T-1' }, agent))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'id',
      });
    });
  });

  describe('tickets(filter, first, after)', () => {
    const carol = anIdentity('CUSTOMER');
    const dave = anIdentity('CUSTOMER');
    const assignee = anIdentity('AGENT');
    let carols: TicketView[];
    let daves: TicketView[];
    const mark = randomUUID().slice(0, 8);

    /** Opens one ticket per input, one after the other, so that they are listed in this order. */
    async function openInOrder(requester: Identity, inputs: Array<Record<string, unknown>>) {
      const tickets: TicketView[] = [];
      for (const input of inputs) tickets.push(await createTicket(service, requester, input));
      return tickets;
    }

    beforeAll(async () => {
      await service.registerUsers(assignee);
      carols = await openInOrder(carol, [
        { title: `Printer ${mark} jams`, priority: 'LOW', tags: ['printer', mark] },
        { title: `Mail ${mark} bounces`, priority: 'HIGH', tags: ['mail', mark] },
        {
          title: `Laptop ${mark}`,
          description: `Screen flickers 100% of the time (${mark})`,
          priority: 'URGENT',
          tags: [mark],
        },
      ]);
      daves = await openInOrder(dave, [
        { title: `VPN ${mark} drops`, priority: 'HIGH', tags: ['vpn', mark] },
        { title: `Password ${mark} reset`, priority: 'NORMAL', tags: ['password', mark] },
      ]);
      const assign = await service.query(
        `mutation($t: ID!, $a: ID!) { assignTicket(ticketId: $t, assigneeId: $a) { id } }`,
        { t: daves[0].id, a: assignee.userId },
        agent,
      );
      dataOf(assign);
      const start = await service.query(
        `mutation($t: ID!) { changeTicketStatus(ticketId: $t, status: IN_PROGRESS, expectedVersion: 1) { id } }`,
        { t: carols[1].id },
        agent,
      );
      dataOf(start);
    });

    const ids = (connection: ConnectionView) => connection.edges.map((edge) => edge.node.id);
    const newestFirst = (tickets: TicketView[]) => tickets.map((t) => t.id).reverse();

    it('lists newest first', async () => {
      expect(ids(await list(agent, { filter: { tag: mark } }))).toEqual(
        newestFirst([...carols, ...daves]),
      );
    });

    it('filters by status', async () => {
      expect(ids(await list(agent, { filter: { tag: mark, status: ['IN_PROGRESS'] } }))).toEqual([
        carols[1].id,
      ]);
      expect(
        ids(await list(agent, { filter: { tag: mark, status: ['OPEN', 'IN_PROGRESS'] } })),
      ).toHaveLength(5);
    });

    it('filters by priority', async () => {
      expect(
        ids(await list(agent, { filter: { tag: mark, priority: ['HIGH', 'URGENT'] } })),
      ).toEqual([daves[0].id, carols[2].id, carols[1].id]);
    });

    it('filters by assignee and by requester', async () => {
      expect(ids(await list(agent, { filter: { assigneeId: assignee.userId } }))).toEqual([
        daves[0].id,
      ]);
      expect(ids(await list(agent, { filter: { requesterId: dave.userId } }))).toEqual(
        newestFirst(daves),
      );
    });

    it('filters by tag, case-insensitively', async () => {
      expect(ids(await list(agent, { filter: { tag: 'VPN', requesterId: dave.userId } }))).toEqual([
        daves[0].id,
      ]);
    });

    it('filters by text in the title or the description, taking % literally', async () => {
      expect(ids(await list(agent, { filter: { text: `mail ${mark}` } }))).toEqual([carols[1].id]);
      expect(
        ids(await list(agent, { filter: { text: `flickers 100% of the time (${mark}` } })),
      ).toEqual([carols[2].id]);
      expect(ids(await list(agent, { filter: { text: `100%%${mark}` } }))).toEqual([]);
    });

    it('combines criteria', async () => {
      expect(
        ids(
          await list(agent, {
            filter: { tag: mark, priority: ['HIGH'], requesterId: carol.userId },
          }),
        ),
      ).toEqual([carols[1].id]);
    });

    it('walks every page with first/after until hasNextPage is false', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page: ConnectionView = await list(agent, { filter: { tag: mark }, first: 2, after });
        pages += 1;
        seen.push(...ids(page));
        expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(newestFirst([...carols, ...daves]));
    });

    it('returns an empty last page without a cursor when nothing matches', async () => {
      expect(await list(agent, { filter: { tag: `${mark}-none` } })).toEqual({
        edges: [],
        pageInfo: { hasNextPage: false, endCursor: null },
      });
    });

    it('shows customers only their own tickets, whatever the filter', async () => {
      expect(ids(await list(carol, { filter: { tag: mark } }))).toEqual(newestFirst(carols));
      expect(ids(await list(carol, { filter: { requesterId: dave.userId } }))).toEqual([]);
      expect(ids(await list(dave, { filter: { tag: mark } }))).toEqual(newestFirst(daves));
    });

    it.each([
      [{ first: 101 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ after: 'bm90LWEtY3Vyc29y' }, 'after'],
      [{ filter: { assigneeId: 'nobody' } }, 'filter.assigneeId'],
    ])('rejects %j with BAD_USER_INPUT naming %s', async (variables, field) => {
      const response = await service.query(LIST_TICKETS, variables, agent);
      expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });

    it('answers User.tickets for many users with their own pages, batched', async () => {
      const response = await service.query<{
        _entities: Array<{ id: string; tickets: ConnectionView; assignedTickets: ConnectionView }>;
      }>(
        `query($r: [_Any!]!) {
          _entities(representations: $r) {
            ... on User {
              id
              tickets(first: 2) { edges { node { id } } pageInfo { hasNextPage endCursor } }
              assignedTickets { edges { node { id } } }
            }
          }
        }`,
        {
          r: [carol, dave, assignee].map((user) => ({ __typename: 'User', id: user.userId })),
        },
        agent,
      );
      const [ofCarol, ofDave, ofAssignee] = dataOf(response)._entities;
      expect(ids(ofCarol.tickets)).toEqual(newestFirst(carols).slice(0, 2));
      expect(ofCarol.tickets.pageInfo.hasNextPage).toBe(true);
      expect(ids(ofDave.tickets)).toEqual(newestFirst(daves));
      expect(ofDave.tickets.pageInfo.hasNextPage).toBe(false);
      expect(ids(ofAssignee.tickets)).toEqual([]);
      expect(ids(ofAssignee.assignedTickets)).toEqual([daves[0].id]);
    });

    it("gives a customer none of another user's tickets through User.tickets", async () => {
      const response = await service.query<{ _entities: Array<{ tickets: ConnectionView }> }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { tickets { edges { node { id } } } } } }`,
        {
          r: [
            { __typename: 'User', id: dave.userId },
            { __typename: 'User', id: carol.userId },
          ],
        },
        carol,
      );
      const [ofDave, ofCarol] = dataOf(response)._entities;
      expect(ids(ofDave.tickets)).toEqual([]);
      expect(ids(ofCarol.tickets)).toEqual(newestFirst(carols));
    });
  });

  describe('federation', () => {
    it('resolves Ticket references, null for those the caller may not see', async () => {
      const own = await createTicket(service, alice);
      const others = await createTicket(service, bob);
      const representations = [own, others].map((t) => ({ __typename: 'Ticket', id: t.id }));

      const asAlice = await service.query<{ _entities: Array<{ id: string } | null> }>(
        ENTITIES,
        { r: representations },
        alice,
      );
      expect(dataOf(asAlice)._entities).toEqual([expect.objectContaining({ id: own.id }), null]);

      const asAgent = await service.query<{ _entities: Array<{ id: string } | null> }>(
        ENTITIES,
        { r: representations },
        agent,
      );
      expect(dataOf(asAgent)._entities.map((t) => t?.id)).toEqual([own.id, others.id]);
    });
  });

  describe('batching (no N+1)', () => {
    /** Statements run by `run`, measured once the relay is idle. */
    async function statementsOf(run: () => Promise<unknown>): Promise<number> {
      await service.outboxPublished();
      const before = await service.statementCount();
      await run();
      return (await service.statementCount()) - before;
    }

    it('resolves 20 ticket references with their comments in a bounded number of statements', async () => {
      const tickets: TicketView[] = [];
      for (let i = 0; i < 20; i += 1) tickets.push(await createTicket(service, alice));
      const representations = tickets.map((t) => ({ __typename: 'Ticket', id: t.id }));

      const statements = await statementsOf(async () => {
        const response = await service.query<{ _entities: Array<{ id: string }> }>(
          ENTITIES,
          { r: representations },
          agent,
        );
        expect(dataOf(response)._entities.map((t) => t.id)).toEqual(tickets.map((t) => t.id));
      });
      // One statement for the tickets and one for all their comments; 40 would be N+1.
      expect(statements).toBeLessThanOrEqual(4);
    });

    it('answers User.tickets of 20 users in a bounded number of statements', async () => {
      const users = Array.from({ length: 20 }, () => anIdentity('CUSTOMER'));
      for (const user of users) await createTicket(service, user);

      const statements = await statementsOf(async () => {
        const response = await service.query<{ _entities: Array<{ tickets: ConnectionView }> }>(
          `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { tickets { edges { node { id comments { id } } } } } } }`,
          { r: users.map((user) => ({ __typename: 'User', id: user.userId })) },
          agent,
        );
        expect(dataOf(response)._entities.every((user) => user.tickets.edges.length === 1)).toBe(
          true,
        );
      });
      expect(statements).toBeLessThanOrEqual(4);
    });
  });

  describe('callers without a service credential', () => {
    it('are answered HTTP 401 before anything runs', async () => {
      const tickets = await service.count('tickets');
      const response = await postGraphQL(`${service.url}/graphql`, {}, CREATE_TICKET, {
        input: aTicketInput(),
      });
      expect(response.status).toBe(401);
      expect(await service.count('tickets')).toBe(tickets);
    });

    it('are answered HTTP 401 for a credential signed with another secret', async () => {
      const impostor = subgraphClient({
        url: `${service.url}/graphql`,
        service: 'ticket',
        secret: 'some-other-secret-of-32-characters!',
      });
      const response = await impostor.query('{ tickets { edges { cursor } } }', {}, alice);
      expect(response.status).toBe(401);
    });
  });
});
