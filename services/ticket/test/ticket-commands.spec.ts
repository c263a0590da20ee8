import { randomUUID } from 'node:crypto';
import { anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import {
  ADD_COMMENT,
  ASSIGN_TICKET,
  CHANGE_STATUS,
  CREATE_TICKET,
  ENTITIES,
  TicketView,
  aTicketInput,
  addComment,
  changeStatus,
  createTicket,
  getTicket,
} from './builders';
import { TicketServiceFixture, startTicketService } from './ticket-service.fixture';

describe('ticket service: assigning, moving and commenting tickets', () => {
  let service: TicketServiceFixture;
  const customer = anIdentity('CUSTOMER');
  const otherCustomer = anIdentity('CUSTOMER');
  const agent = anIdentity('AGENT');
  const secondAgent = anIdentity('AGENT');
  const admin = anIdentity('ADMIN');

  beforeAll(async () => {
    service = await startTicketService();
    await service.registerUsers(customer, otherCustomer, agent, secondAgent, admin);
  });

  afterAll(() => service?.close());

  /** A new ticket of `customer` that the agent has moved to `status`. */
  async function customerTicketIn(status: string): Promise<TicketView> {
    return changeStatus(service, await createTicket(service, customer), status, agent);
  }

  async function assign(ticketId: string, assigneeId: string, actor = agent) {
    return service.query<{ assignTicket: TicketView }>(
      ASSIGN_TICKET,
      { ticketId, assigneeId },
      actor,
    );
  }

  /** Runs `attempt` and checks it changed no row of the service (tickets, comments, outbox). */
  async function expectNothingWritten(
    attempt: () => Promise<unknown>,
    ticketId?: string,
  ): Promise<void> {
    const before = {
      tickets: await service.count('tickets'),
      comments: await service.count('comments'),
      outbox: await service.count('outbox'),
      ticket: ticketId ? await getTicket(service, ticketId, admin) : undefined,
    };
    await attempt();
    expect({
      tickets: await service.count('tickets'),
      comments: await service.count('comments'),
      outbox: await service.count('outbox'),
      ticket: ticketId ? await getTicket(service, ticketId, admin) : undefined,
    }).toEqual(before);
  }

  describe('assignTicket', () => {
    it('assigns a ticket to an agent, bumps its version and emits ticket.assigned', async () => {
      const ticket = await createTicket(service, customer);
      const assigned = dataOf(await assign(ticket.id, agent.userId)).assignTicket;

      expect(assigned).toMatchObject({ assignee: { id: agent.userId }, version: 2 });
      const [event] = await service.outbox(ticket.id, 'ticket.assigned');
      expect(event.envelope).toMatchObject({
        actor: { id: agent.userId, role: 'AGENT' },
        payload: {
          ticketId: ticket.id,
          requesterId: customer.userId,
          assigneeId: agent.userId,
          previousAssigneeId: null,
        },
      });
    });

    it('reassigns, naming the previous assignee; admins may assign too', async () => {
      const ticket = await createTicket(service, customer);
      dataOf(await assign(ticket.id, agent.userId));
      const reassigned = dataOf(await assign(ticket.id, secondAgent.userId, admin)).assignTicket;

      expect(reassigned).toMatchObject({ assignee: { id: secondAgent.userId }, version: 3 });
      const events = await service.outbox(ticket.id, 'ticket.assigned');
      expect(events.map((e) => e.envelope.payload)).toEqual([
        expect.objectContaining({ assigneeId: agent.userId, previousAssigneeId: null }),
        expect.objectContaining({
          assigneeId: secondAgent.userId,
          previousAssigneeId: agent.userId,
        }),
      ]);
    });

    it('changes nothing when the ticket already has that assignee', async () => {
      const ticket = await createTicket(service, customer);
      dataOf(await assign(ticket.id, agent.userId));
      await expectNothingWritten(async () => {
        expect(dataOf(await assign(ticket.id, agent.userId)).assignTicket.version).toBe(2);
      }, ticket.id);
    });

    it.each([
      ['a customer', () => customer.userId],
      ['an admin (assignees must be agents)', () => admin.userId],
      ['a user the ticket service has never heard of', () => randomUUID()],
    ])(
      'refuses %s as assignee with BAD_USER_INPUT on assigneeId, writing nothing',
      async (_who, assigneeId) => {
        const ticket = await createTicket(service, customer);
        await expectNothingWritten(async () => {
          expect(errorOf(await assign(ticket.id, assigneeId()))).toMatchObject({
            code: 'BAD_USER_INPUT',
            field: 'assigneeId',
          });
        }, ticket.id);
      },
    );

    it('is FORBIDDEN to customers, even on their own ticket', async () => {
      const ticket = await createTicket(service, customer);
      await expectNothingWritten(async () => {
        expect(errorOf(await assign(ticket.id, agent.userId, customer)).code).toBe('FORBIDDEN');
      }, ticket.id);
    });

    it('answers NOT_FOUND for a ticket that does not exist', async () => {
      expect(errorOf(await assign(randomUUID(), agent.userId)).code).toBe('NOT_FOUND');
    });
  });

  describe('changeTicketStatus', () => {
    it('walks the life cycle, one version and one ticket.status_changed per move', async () => {
      let ticket = await createTicket(service, customer);
      const path = ['IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'];
      for (const status of path) ticket = await changeStatus(service, ticket, status, agent);

      expect(ticket).toMatchObject({ status: 'CLOSED', version: 6 });
      const events = await service.outbox(ticket.id, 'ticket.status_changed');
      expect(events.map((e) => e.envelope.payload)).toEqual(
        ['OPEN', ...path].slice(0, -1).map((from, i) =>
          expect.objectContaining({
            ticketId: ticket.id,
            requesterId: customer.userId,
            from,
            to: path[i],
            version: i + 2,
          }),
        ),
      );
    });

    it.each([
      ['CLOSED', 'OPEN', ['CLOSED']],
      ['WAITING_ON_CUSTOMER', 'CLOSED', ['WAITING_ON_CUSTOMER']],
      ['RESOLVED', 'WAITING_ON_CUSTOMER', ['RESOLVED']],
      ['OPEN', 'OPEN', []],
    ])('refuses %s → %s with BAD_USER_INPUT on status, writing nothing', async (from, to, path) => {
      let ticket = await createTicket(service, customer);
      for (const status of path) ticket = await changeStatus(service, ticket, status, agent);
      await expectNothingWritten(async () => {
        const response = await service.query(
          CHANGE_STATUS,
          { ticketId: ticket.id, status: to, expectedVersion: ticket.version },
          agent,
        );
        expect(errorOf(response)).toEqual({
          code: 'BAD_USER_INPUT',
          field: 'status',
          message: `cannot move from ${from} to ${to}`,
        });
      }, ticket.id);
    });

    it('answers CONFLICT for a stale expectedVersion, writing nothing', async () => {
      const ticket = await createTicket(service, customer);
      const moved = await changeStatus(service, ticket, 'IN_PROGRESS', agent);
      await expectNothingWritten(async () => {
        const response = await service.query(
          CHANGE_STATUS,
          { ticketId: ticket.id, status: 'RESOLVED', expectedVersion: ticket.version },
          agent,
        );
        expect(errorOf(response).code).toBe('CONFLICT');
      }, ticket.id);
      expect(moved.version).toBe(2);
    });

    it('lets exactly one of two concurrent changes from the same version win; the other is CONFLICT', async () => {
      const ticket = await createTicket(service, customer);
      const responses = await Promise.all(
        ['IN_PROGRESS', 'RESOLVED'].map((status) =>
          service.query<{ changeTicketStatus: TicketView }>(
            CHANGE_STATUS,
            { ticketId: ticket.id, status, expectedVersion: 1 },
            agent,
          ),
        ),
      );
      const outcomes = responses.map((r) => (r.errors ? errorOf(r).code : 'OK')).sort();
      expect(outcomes).toEqual(['CONFLICT', 'OK']);
      expect(await service.outbox(ticket.id, 'ticket.status_changed')).toHaveLength(1);
      expect((await getTicket(service, ticket.id, agent)).version).toBe(2);
    });

    it('lets a customer close or reopen their own resolved ticket', async () => {
      const first = await customerTicketIn('RESOLVED');
      expect((await changeStatus(service, first, 'CLOSED', customer)).status).toBe('CLOSED');
      const second = await customerTicketIn('RESOLVED');
      expect((await changeStatus(service, second, 'IN_PROGRESS', customer)).status).toBe(
        'IN_PROGRESS',
      );
    });

    it('forbids customers any other move', async () => {
      const ticket = await createTicket(service, customer);
      await expectNothingWritten(async () => {
        const response = await service.query(
          CHANGE_STATUS,
          { ticketId: ticket.id, status: 'CLOSED', expectedVersion: 1 },
          customer,
        );
        expect(errorOf(response).code).toBe('FORBIDDEN');
      }, ticket.id);
    });

    it("answers NOT_FOUND to a customer moving someone else's ticket", async () => {
      const ticket = await customerTicketIn('RESOLVED');
      const response = await service.query(
        CHANGE_STATUS,
        { ticketId: ticket.id, status: 'CLOSED', expectedVersion: ticket.version },
        otherCustomer,
      );
      expect(errorOf(response).code).toBe('NOT_FOUND');
    });
  });

  describe('addComment', () => {
    /** A customer's ticket on which the agent left one shared and then one internal comment. */
    async function ticketWithInternalComment(sharedBody: string, internalBody: string) {
      const ticket = await createTicket(service, customer);
      const shared = await addComment(service, ticket.id, agent, sharedBody);
      const internal = await addComment(service, ticket.id, agent, internalBody, true);
      return { ticket, shared, internal };
    }

    it('adds a public comment, bumps the version and emits ticket.commented', async () => {
      const ticket = await createTicket(service, customer);
      const comment = await addComment(service, ticket.id, customer, '  Any news?  ');

      expect(comment).toMatchObject({
        body: 'Any news?',
        internal: false,
        author: { id: customer.userId },
      });
      expect((await getTicket(service, ticket.id, customer)).version).toBe(2);
      const [event] = await service.outbox(ticket.id, 'ticket.commented');
      expect(event.envelope.payload).toEqual({
        ticketId: ticket.id,
        requesterId: customer.userId,
        assigneeId: null,
        commentId: comment.id,
        authorId: customer.userId,
        internal: false,
      });
    });

    it('lists comments oldest first', async () => {
      const ticket = await createTicket(service, customer);
      const bodies = ['first', 'second', 'third'];
      for (const body of bodies) await addComment(service, ticket.id, agent, body);
      expect((await getTicket(service, ticket.id, customer)).comments?.map((c) => c.body)).toEqual(
        bodies,
      );
    });

    it('hides internal comments from the customer, and shows them to agents and admins', async () => {
      const { ticket, shared, internal } = await ticketWithInternalComment(
        'We are looking into it.',
        'Customer is on the legacy plan.',
      );
      expect(internal.internal).toBe(true);

      expect((await getTicket(service, ticket.id, customer)).comments?.map((c) => c.id)).toEqual([
        shared.id,
      ]);
      for (const staff of [agent, admin]) {
        expect((await getTicket(service, ticket.id, staff)).comments?.map((c) => c.id)).toEqual([
          shared.id,
          internal.id,
        ]);
      }
    });

    it('hides internal comments from the customer through federation (_entities) too', async () => {
      const { ticket, shared, internal } = await ticketWithInternalComment(
        'Fixed on our side.',
        'Root cause: expired certificate.',
      );
      const representations = [{ __typename: 'Ticket', id: ticket.id }];

      const asCustomer = await service.query<{
        _entities: Array<{ comments: Array<{ id: string; internal: boolean }> }>;
      }>(ENTITIES, { r: representations }, customer);
      expect(dataOf(asCustomer)._entities[0].comments).toEqual([
        { id: shared.id, internal: false, body: 'Fixed on our side.' },
      ]);

      const asAgent = await service.query<{
        _entities: Array<{ comments: Array<{ id: string }> }>;
      }>(ENTITIES, { r: representations }, agent);
      expect(dataOf(asAgent)._entities[0].comments.map((c) => c.id)).toEqual([
        shared.id,
        internal.id,
      ]);
    });

    it('records the internal flag in ticket.commented', async () => {
      const ticket = await createTicket(service, customer);
      await addComment(service, ticket.id, agent, 'Escalated to the network team.', true);
      const [event] = await service.outbox(ticket.id, 'ticket.commented');
      expect(event.envelope.payload).toMatchObject({ authorId: agent.userId, internal: true });
    });

    it('forbids customers internal comments, writing nothing', async () => {
      const ticket = await createTicket(service, customer);
      await expectNothingWritten(async () => {
        const response = await service.query(
          ADD_COMMENT,
          { ticketId: ticket.id, body: 'psst', internal: true },
          customer,
        );
        expect(errorOf(response).code).toBe('FORBIDDEN');
      }, ticket.id);
    });

    it("answers NOT_FOUND to a customer commenting on someone else's ticket, writing nothing", async () => {
      const ticket = await createTicket(service, customer);
      await expectNothingWritten(async () => {
        const response = await service.query(
          ADD_COMMENT,
          { ticketId: ticket.id, body: 'Me too!' },
          otherCustomer,
        );
        expect(errorOf(response).code).toBe('NOT_FOUND');
      }, ticket.id);
    });

    it('sets firstRespondedAt with the first public comment of the support team only', async () => {
      const ticket = await createTicket(service, customer);
      await addComment(service, ticket.id, customer, 'Hello?');
      await addComment(service, ticket.id, agent, 'Checking logs.', true);
      expect((await getTicket(service, ticket.id, agent)).firstRespondedAt).toBeNull();

      const answer = await addComment(service, ticket.id, agent, 'We found the problem.');
      const answered = await getTicket(service, ticket.id, agent);
      expect(answered.firstRespondedAt).toBe(answer.createdAt);

      await addComment(service, ticket.id, secondAgent, 'Fix deployed.');
      expect((await getTicket(service, ticket.id, agent)).firstRespondedAt).toBe(answer.createdAt);
    });

    it('counts an admin answer as a first response', async () => {
      const ticket = await createTicket(service, customer);
      const answer = await addComment(service, ticket.id, admin, 'On it.');
      expect((await getTicket(service, ticket.id, customer)).firstRespondedAt).toBe(
        answer.createdAt,
      );
    });
  });

  describe('closed tickets', () => {
    it('take no more comments or assignments (BAD_USER_INPUT on ticketId)', async () => {
      const ticket = await customerTicketIn('CLOSED');
      await expectNothingWritten(async () => {
        expect(
          errorOf(
            await service.query(ADD_COMMENT, { ticketId: ticket.id, body: 'Reopen?' }, customer),
          ),
        ).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'ticketId',
        });
        expect(errorOf(await assign(ticket.id, agent.userId))).toMatchObject({
          code: 'BAD_USER_INPUT',
          field: 'ticketId',
        });
      }, ticket.id);
    });
  });

  describe('bad input', () => {
    let ticket: TicketView;

    beforeAll(async () => {
      ticket = await createTicket(service, customer);
    });

    // Each mutation is called by someone allowed to call it, so only the input is wrong.
    const mutations = {
      createTicket: { document: CREATE_TICKET, caller: customer },
      assignTicket: { document: ASSIGN_TICKET, caller: agent },
      changeTicketStatus: { document: CHANGE_STATUS, caller: agent },
      addComment: { document: ADD_COMMENT, caller: customer },
    };
    interface BadInputCase {
      mutation: keyof typeof mutations;
      problem: string;
      variables: () => Record<string, unknown>;
      field: string;
    }
    const cases: BadInputCase[] = [
      {
        mutation: 'createTicket',
        problem: 'an empty title',
        variables: () => ({ input: aTicketInput({ title: ' ' }) }),
        field: 'input.title',
      },
      {
        mutation: 'createTicket',
        problem: 'a 201-character title',
        variables: () => ({ input: aTicketInput({ title: 'x'.repeat(201) }) }),
        field: 'input.title',
      },
      {
        mutation: 'createTicket',
        problem: 'a 10001-character description',
        variables: () => ({ input: aTicketInput({ description: 'x'.repeat(10_001) }) }),
        field: 'input.description',
      },
      {
        mutation: 'createTicket',
        problem: 'eleven tags',
        variables: () => ({
          input: aTicketInput({ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }),
        }),
        field: 'input.tags',
      },
      {
        mutation: 'createTicket',
        problem: 'a tag that is not a slug',
        variables: () => ({ input: aTicketInput({ tags: ['ok', 'Not OK'] }) }),
        field: 'input.tags.1',
      },
      {
        mutation: 'assignTicket',
        problem: 'a ticket id that is not a UUID',
        variables: () => ({ ticketId: 'T-1', assigneeId: agent.userId }),
        field: 'ticketId',
      },
      {
        mutation: 'assignTicket',
        problem: 'an assignee id that is not a UUID',
        variables: () => ({ ticketId: ticket.id, assigneeId: 'bob' }),
        field: 'assigneeId',
      },
      {
        mutation: 'changeTicketStatus',
        problem: 'a ticket id that is not a UUID',
        variables: () => ({ ticketId: 'T-1', status: 'CLOSED', expectedVersion: 1 }),
        field: 'ticketId',
      },
      {
        mutation: 'changeTicketStatus',
        problem: 'a version below 1',
        variables: () => ({ ticketId: ticket.id, status: 'CLOSED', expectedVersion: 0 }),
        field: 'expectedVersion',
      },
      {
        mutation: 'addComment',
        problem: 'an empty body',
        variables: () => ({ ticketId: ticket.id, body: '   ' }),
        field: 'body',
      },
      {
        mutation: 'addComment',
        problem: 'a 10001-character body',
        variables: () => ({ ticketId: ticket.id, body: 'x'.repeat(10_001) }),
        field: 'body',
      },
      {
        mutation: 'addComment',
        problem: 'a ticket id that is not a UUID',
        variables: () => ({ ticketId: 'T-1', body: 'Hi' }),
        field: 'ticketId',
      },
    ];

    it.each(cases)(
      '$mutation with $problem is BAD_USER_INPUT on $field and writes nothing',
      async ({ mutation, variables, field }) => {
        const { document, caller } = mutations[mutation];
        await expectNothingWritten(async () => {
          const response = await service.query(document, variables(), caller);
          expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field });
        }, ticket.id);
      },
    );
  });
});
