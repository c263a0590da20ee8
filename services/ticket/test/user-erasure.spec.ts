import { Identity } from '@servicedesk/platform';
import { anEvent, anIdentity, errorOf } from '@servicedesk/testing';
import { addComment, aTicketInput, CREATE_TICKET, createTicket, getTicket } from './builders';
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
});
