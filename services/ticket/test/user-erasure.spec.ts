import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Identity } from '@servicedesk/platform';
import { anEvent, anIdentity, dataOf, errorOf, waitFor } from '@servicedesk/testing';
import {
  ADD_COMMENT,
  addComment,
  aTicketInput,
  CREATE_TICKET,
  createTicket,
  getTicket,
} from './builders';
import { TicketServiceFixture, startTicketService } from './ticket-service.fixture';

/** What `user.erased` does to the tickets and comments a person wrote. */
describe('ticket service: erasing a user', () => {
  let service: TicketServiceFixture;
  const agent = anIdentity('AGENT');

  beforeAll(async () => {
    service = await startTicketService();
    await service.registerUsers(agent);
  });

  afterAll(() => service?.close());

  async function aCustomer(): Promise<Identity> {
    const customer = anIdentity('CUSTOMER');
    await service.registerUsers(customer);
    return customer;
  }

  async function erase(user: Identity) {
    const event = await service.publish(anEvent('user.erased', { aggregateId: user.userId }));
    await service.waitForProcessed(event.id);
    return event;
  }

  async function storedErasure(ticketId: string) {
    const { rows } = await service.db.query<{ ticket: Date | null; comments: Array<Date | null> }>(
      `SELECT t.requester_erased_at AS ticket,
              array(SELECT c.author_erased_at FROM ticket.comments c WHERE c.ticket_id = t.id ORDER BY c.created_at, c.id) AS comments
         FROM ticket.tickets t WHERE t.id = $1`,
      [ticketId],
    );
    return rows[0];
  }

  it("redacts the erased requester's ticket texts and comments, and nothing of anyone else", async () => {
    const [erased, other] = [await aCustomer(), await aCustomer()];
    const requested = await createTicket(service, erased, { tags: ['vpn', 'laptop'] });
    await addComment(service, requested.id, erased, 'My phone is +44 20 7946 0000');
    await addComment(service, requested.id, agent, 'We will call you back.');
    const othersTicket = await createTicket(service, other);
    await addComment(service, othersTicket.id, other, 'Still broken here.');
    const before = await getTicket(service, requested.id, agent);

    await erase(erased);

    const after = await getTicket(service, requested.id, agent);
    expect(after).toEqual({
      ...before,
      title: '[erased]',
      description: '[erased]',
      updatedAt: expect.any(String),
      comments: [
        { ...before.comments![0], body: '[erased]' },
        { ...before.comments![1], body: 'We will call you back.' },
      ],
    });
    expect(after.tags).toEqual(['vpn', 'laptop']);
    expect(await getTicket(service, othersTicket.id, agent)).toMatchObject({
      title: othersTicket.title,
      description: othersTicket.description,
      comments: [{ body: 'Still broken here.' }],
    });
  });

  it("redacts an erased agent's comments on others' tickets, leaving the tickets alone", async () => {
    const leaver = anIdentity('AGENT');
    await service.registerUsers(leaver);
    const customer = await aCustomer();
    const ticket = await createTicket(service, customer);
    await addComment(service, ticket.id, leaver, 'Try restarting the router.');
    await addComment(service, ticket.id, customer, 'That worked, thanks.');

    await erase(leaver);

    expect(await getTicket(service, ticket.id, customer)).toMatchObject({
      title: ticket.title,
      description: ticket.description,
      comments: [{ body: '[erased]' }, { body: 'That worked, thanks.' }],
    });
  });

  it('is idempotent: a redelivered or replayed erasure changes nothing more', async () => {
    const customer = await aCustomer();
    const ticket = await createTicket(service, customer);
    await addComment(service, ticket.id, customer, 'Hello');
    const first = await erase(customer);
    const afterFirst = await storedErasure(ticket.id);
    const viewAfterFirst = await getTicket(service, ticket.id, agent);

    await service.publish(first);
    await erase(customer);

    expect(await storedErasure(ticket.id)).toEqual(afterFirst);
    expect(afterFirst.ticket?.toISOString()).toBe(first.occurredAt);
    expect(afterFirst.comments).toEqual([afterFirst.ticket]);
    expect(await getTicket(service, ticket.id, agent)).toEqual(viewAfterFirst);
  });

  it('refuses new tickets and comments from an erased person whose access token still works', async () => {
    const customer = await aCustomer();
    const ticket = await createTicket(service, customer);
    await erase(customer);
    const tickets = await service.count('tickets');
    const comments = await service.count('comments');

    const created = await service.query(CREATE_TICKET, { input: aTicketInput() }, customer);
    const commented = await service.query(
      `mutation($ticketId: ID!) { addComment(ticketId: $ticketId, body: "I am back") { id } }`,
      { ticketId: ticket.id },
      customer,
    );

    expect(errorOf(created).code).toBe('FORBIDDEN');
    expect(errorOf(commented).code).toBe('FORBIDDEN');
    expect(await service.count('tickets')).toBe(tickets);
    expect(await service.count('comments')).toBe(comments);
  });

  it("deletes the published outbox rows of the erased requester's tickets, which carried the title", async () => {
    const customer = await aCustomer();
    const ticket = await createTicket(service, customer, { title: `Printer ${randomUUID()}` });
    const othersTicket = await createTicket(service, await aCustomer());
    await service.outboxPublished();
    expect(await service.outbox(ticket.id, 'ticket.created')).toHaveLength(1);

    await erase(customer);

    expect(await service.outbox(ticket.id)).toEqual([]);
    expect(await service.outbox(othersTicket.id, 'ticket.created')).toHaveLength(1);
    const { rows } = await service.db.query<{ envelopes: string }>(
      "SELECT coalesce(string_agg(envelope::text, ','), '') AS envelopes FROM ticket.outbox",
    );
    expect(rows[0].envelopes).not.toContain(ticket.title);
  });

  it('forgets the idempotency keys the person used, whose fingerprints came from their texts', async () => {
    const [erased, other] = [await aCustomer(), await aCustomer()];
    const keysOf = async (user: Identity) => {
      const { rows } = await service.db.query<{ tickets: number; comments: number }>(
        `SELECT (SELECT count(*)::int FROM ticket.ticket_idempotency_keys WHERE caller_id = $1) AS tickets,
                (SELECT count(*)::int FROM ticket.comment_idempotency_keys WHERE caller_id = $1) AS comments`,
        [user.userId],
      );
      return rows[0];
    };
    for (const user of [erased, other]) {
      const created = await service.query<{ createTicket: { id: string } }>(
        CREATE_TICKET,
        { input: aTicketInput(), idempotencyKey: 'key-1' },
        user,
      );
      const ticketId = dataOf(created).createTicket.id;
      dataOf(
        await service.query(
          ADD_COMMENT,
          { ticketId, body: 'Hello', idempotencyKey: 'key-2' },
          user,
        ),
      );
    }
    expect(await keysOf(erased)).toEqual({ tickets: 1, comments: 1 });

    await erase(erased);

    expect(await keysOf(erased)).toEqual({ tickets: 0, comments: 0 });
    expect(await keysOf(other)).toEqual({ tickets: 1, comments: 1 });
  });

  it('redacts a ticket and a comment the person was writing when the erasure arrived', async () => {
    const customer = await aCustomer();
    const ticket = await createTicket(service, customer);
    await service.outboxPublished();
    const blocker = new Client({ connectionString: service.databaseUrl });
    await blocker.connect();
    const waitingForLocks = async () => {
      const { rows } = await service.db.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return rows[0].waiting;
    };
    try {
      // Both writes pass their erasure check, then wait at their outbox insert, uncommitted.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE ticket.outbox IN SHARE MODE');
      const writes = Promise.all([
        service.query(CREATE_TICKET, { input: aTicketInput() }, customer),
        addComment(service, ticket.id, customer, 'Call me on +44 20 7946 0000'),
      ]);
      await waitFor(async () => (await waitingForLocks()) >= 2, {
        description: 'the ticket and the comment to wait at the outbox',
      });
      const erasure = await service.publish(
        anEvent('user.erased', { aggregateId: customer.userId }),
      );
      await waitFor(async () => (await waitingForLocks()) >= 3, {
        description: 'the erasure to wait behind the writes',
      });
      await blocker.query('COMMIT');
      const [created] = await writes;
      await service.waitForProcessed(erasure.id);

      const { rows } = await service.db.query<{ title: string; body: string | null }>(
        `SELECT t.title, c.body FROM ticket.tickets t
           LEFT JOIN ticket.comments c ON c.ticket_id = t.id
          WHERE t.requester_id = $1`,
        [customer.userId],
      );
      expect(created.errors).toBeUndefined();
      expect(rows).toHaveLength(2);
      expect(rows).toEqual(
        expect.arrayContaining([
          { title: '[erased]', body: '[erased]' },
          { title: '[erased]', body: null },
        ]),
      );
    } finally {
      await blocker.end();
    }
  });
});
