import { Identity } from '@servicedesk/platform';
import { GraphQLResponse, anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import {
  ADD_COMMENT,
  CREATE_TICKET,
  CommentView,
  TicketView,
  aTicketInput,
  createTicket,
  getTicket,
} from './builders';
import { TicketServiceFixture, startTicketService } from './ticket-service.fixture';

/** A client retrying createTicket or addComment under the same key gets the first result. */
describe('ticket service: idempotency keys', () => {
  let service: TicketServiceFixture;
  const customer = anIdentity('CUSTOMER');
  const otherCustomer = anIdentity('CUSTOMER');
  const agent = anIdentity('AGENT');

  beforeAll(async () => {
    service = await startTicketService();
    await service.registerUsers(customer, otherCustomer, agent);
  });

  afterAll(() => service?.close());

  const tryCreate = (
    caller: Identity,
    input: Record<string, unknown>,
    idempotencyKey?: string,
  ): Promise<GraphQLResponse<{ createTicket: TicketView }>> =>
    service.query(CREATE_TICKET, { input, idempotencyKey }, caller);

  const tryComment = (
    caller: Identity,
    comment: { ticketId: string; body: string; internal?: boolean },
    idempotencyKey?: string,
  ): Promise<GraphQLResponse<{ addComment: CommentView }>> =>
    service.query(ADD_COMMENT, { ...comment, idempotencyKey }, caller);

  /** The ids of successful answers, and the codes of the others. */
  function outcomes<T>(responses: GraphQLResponse<T>[], idOf: (data: T) => string) {
    return responses.map((response) =>
      response.errors ? { error: errorOf(response).code } : { id: idOf(dataOf(response)) },
    );
  }

  describe('createTicket', () => {
    it('returns the same ticket on a retry with the same key, with one ticket.created', async () => {
      const input = aTicketInput();
      const tickets = await service.count('tickets');

      const first = dataOf(await tryCreate(customer, input, 'create-1')).createTicket;
      const retry = dataOf(await tryCreate(customer, input, 'create-1')).createTicket;

      expect(retry).toEqual(first);
      expect(await service.count('tickets')).toBe(tickets + 1);
      expect(await service.outbox(first.id, 'ticket.created')).toHaveLength(1);
    });

    it('returns the ticket as it is now when the retry comes after a change', async () => {
      const input = aTicketInput();
      const first = dataOf(await tryCreate(customer, input, 'create-2')).createTicket;
      await service.query(
        `mutation($ticketId: ID!, $assigneeId: ID!) { assignTicket(ticketId: $ticketId, assigneeId: $assigneeId) { id } }`,
        { ticketId: first.id, assigneeId: agent.userId },
        agent,
      );

      const retry = dataOf(await tryCreate(customer, input, 'create-2')).createTicket;

      expect(await getTicket(service, first.id, customer)).toMatchObject(retry);
      expect(retry.assignee).toEqual({ id: agent.userId });
    });

    it('answers CONFLICT on idempotencyKey for the same key with a different input, writing nothing', async () => {
      dataOf(await tryCreate(customer, aTicketInput(), 'create-3'));
      const tickets = await service.count('tickets');
      const outbox = await service.count('outbox');

      const other = await tryCreate(customer, aTicketInput(), 'create-3');

      expect(errorOf(other)).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
      expect(errorOf(other).message).toMatch(/idempotencyKey "create-3".*new key/);
      expect(await service.count('tickets')).toBe(tickets);
      expect(await service.count('outbox')).toBe(outbox);
    });

    it('creates one ticket for concurrent requests with the same key, and answers each with it', async () => {
      const input = aTicketInput();
      const tickets = await service.count('tickets');

      const responses = await Promise.all(
        [1, 2, 3, 4, 5].map(() => tryCreate(customer, input, 'create-4')),
      );

      const answers = outcomes(responses, (data) => data.createTicket.id);
      const [first] = answers;
      expect(first.id).toEqual(expect.any(String));
      expect(answers).toEqual(answers.map(() => first));
      expect(await service.count('tickets')).toBe(tickets + 1);
      expect(await service.outbox(first.id!, 'ticket.created')).toHaveLength(1);
    });

    it('keeps keys per caller: another customer with the same key gets their own ticket', async () => {
      const input = aTicketInput();
      const mine = dataOf(await tryCreate(customer, input, 'create-5')).createTicket;
      const theirs = dataOf(await tryCreate(otherCustomer, input, 'create-5')).createTicket;

      expect(theirs.id).not.toBe(mine.id);
      expect(theirs.requester).toEqual({ id: otherCustomer.userId });
    });

    it('creates a ticket per request without a key, as before', async () => {
      const input = aTicketInput();
      const first = dataOf(await tryCreate(customer, input)).createTicket;
      const second = dataOf(await tryCreate(customer, input)).createTicket;
      expect(second.id).not.toBe(first.id);
    });
  });

  describe('addComment', () => {
    let ticket: TicketView;

    beforeAll(async () => {
      ticket = await createTicket(service, customer);
    });

    it('returns the same comment on a retry with the same key, with one ticket.commented', async () => {
      const comment = { ticketId: ticket.id, body: 'Still dropping.' };
      const before = await getTicket(service, ticket.id, agent);

      const first = dataOf(await tryComment(customer, comment, 'comment-1')).addComment;
      const retry = dataOf(await tryComment(customer, comment, 'comment-1')).addComment;

      expect(retry).toEqual(first);
      const after = await getTicket(service, ticket.id, agent);
      expect(after.comments).toHaveLength(before.comments!.length + 1);
      expect(after.version).toBe(before.version + 1);
      const commented = await service.outbox(ticket.id, 'ticket.commented');
      expect(commented.filter((row) => row.envelope.payload.commentId === first.id)).toHaveLength(
        1,
      );
    });

    it('answers CONFLICT on idempotencyKey for the same key with another body or ticket', async () => {
      const otherTicket = await createTicket(service, customer);
      dataOf(await tryComment(customer, { ticketId: ticket.id, body: 'First.' }, 'comment-2'));
      const comments = await service.count('comments');

      const otherBody = await tryComment(
        customer,
        { ticketId: ticket.id, body: 'Second.' },
        'comment-2',
      );
      const otherPlace = await tryComment(
        customer,
        { ticketId: otherTicket.id, body: 'First.' },
        'comment-2',
      );

      expect(errorOf(otherBody)).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
      expect(errorOf(otherPlace)).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
      expect(await service.count('comments')).toBe(comments);
    });

    it('adds one comment for concurrent requests with the same key, and answers each with it', async () => {
      const comments = await service.count('comments');
      const comment = { ticketId: ticket.id, body: 'Is anyone there?' };

      const responses = await Promise.all(
        [1, 2, 3, 4, 5].map(() => tryComment(customer, comment, 'comment-3')),
      );

      const answers = outcomes(responses, (data) => data.addComment.id);
      const [first] = answers;
      expect(first.id).toEqual(expect.any(String));
      expect(answers).toEqual(answers.map(() => first));
      expect(await service.count('comments')).toBe(comments + 1);
    });

    it('keeps keys per caller: the agent and the customer each get their comment', async () => {
      const comment = { ticketId: ticket.id, body: 'Thanks.' };
      const mine = dataOf(await tryComment(customer, comment, 'comment-4')).addComment;
      const theirs = dataOf(await tryComment(agent, comment, 'comment-4')).addComment;

      expect(theirs.id).not.toBe(mine.id);
      expect(theirs.author).toEqual({ id: agent.userId });
    });

    it('returns the comment on a retry after the ticket was closed meanwhile', async () => {
      const closing = await createTicket(service, customer);
      const comment = { ticketId: closing.id, body: 'Solved, thank you.' };
      const first = dataOf(await tryComment(customer, comment, 'comment-5')).addComment;
      const { version } = await getTicket(service, closing.id, agent);
      dataOf(
        await service.query(
          `mutation($id: ID!, $v: Int!) { changeTicketStatus(ticketId: $id, status: CLOSED, expectedVersion: $v) { id } }`,
          { id: closing.id, v: version },
          agent,
        ),
      );

      expect(dataOf(await tryComment(customer, comment, 'comment-5')).addComment).toEqual(first);
    });
  });

  describe('bad keys', () => {
    it.each([
      ['a blank key', '  '],
      ['a 201-character key', 'k'.repeat(201)],
      ['a key with a control character', 'retry\u0007-1'],
      ['a key with a non-ASCII character', 'clé-1'],
    ])('are BAD_USER_INPUT on idempotencyKey, writing nothing: %s', async (_, key) => {
      const ticket = await createTicket(service, customer);
      const before = {
        tickets: await service.count('tickets'),
        comments: await service.count('comments'),
      };

      const created = await tryCreate(customer, aTicketInput(), key);
      const commented = await tryComment(customer, { ticketId: ticket.id, body: 'Hi' }, key);

      expect(errorOf(created)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
      expect(errorOf(commented)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
      expect({
        tickets: await service.count('tickets'),
        comments: await service.count('comments'),
      }).toEqual(before);
    });
  });
});
