import { Identity } from '@servicedesk/platform';
import { ASSIGN_TICKET, createTicket, dataOf, errorOf } from './builders';
import { TicketServiceFixture, anIdentity, startTicketService } from './ticket-service.fixture';

/**
 * Who may be assigned a ticket is known only from user events, consumed by the ticket
 * service's own queue; these tests publish the events the user service would.
 */
describe('ticket service: the user directory fed by user events', () => {
  let service: TicketServiceFixture;
  const customer = anIdentity('CUSTOMER');
  const lead = anIdentity('AGENT');
  const minute = 60_000;

  beforeAll(async () => {
    service = await startTicketService();
    await service.registerUsers(customer, lead);
  });

  afterAll(async () => {
    await service?.close();
  });

  async function assignTo(user: Identity) {
    const ticket = await createTicket(service, customer);
    return service.query(ASSIGN_TICKET, { ticketId: ticket.id, assigneeId: user.userId }, lead);
  }

  function registered(user: Identity, at: Date) {
    return service.publish(
      'user.registered',
      user.userId,
      {
        userId: user.userId,
        email: `${user.userId}@example.test`,
        name: 'New hire',
        role: 'CUSTOMER',
        timeZone: 'UTC',
      },
      at,
    );
  }

  function roleChanged(
    user: Identity,
    previousRole: Identity['role'],
    role: Identity['role'],
    at: Date,
  ) {
    return service.publish(
      'user.role_changed',
      user.userId,
      { userId: user.userId, previousRole, role },
      at,
    );
  }

  it('makes a registered customer known, and assignable once promoted to agent', async () => {
    const newHire = anIdentity('AGENT');
    const start = Date.now() - 10 * minute;
    await registered(newHire, new Date(start));
    await service.waitForKnownRole(newHire.userId, 'CUSTOMER');
    expect(errorOf(await assignTo(newHire))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'assigneeId',
    });

    await roleChanged(newHire, 'CUSTOMER', 'AGENT', new Date(start + minute));
    await service.waitForKnownRole(newHire.userId, 'AGENT');
    expect(dataOf(await assignTo(newHire))).toMatchObject({
      assignTicket: { assignee: { id: newHire.userId } },
    });
  });

  it('stops assigning to an agent demoted back to customer', async () => {
    const formerAgent = anIdentity('AGENT');
    await service.registerUsers(formerAgent);
    await roleChanged(formerAgent, 'AGENT', 'CUSTOMER', new Date());
    await service.waitForKnownRole(formerAgent.userId, 'CUSTOMER');
    expect(errorOf(await assignTo(formerAgent))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'assigneeId',
    });
  });

  it('keeps the newest role when events arrive out of order', async () => {
    const user = anIdentity('AGENT');
    const start = Date.now() - 10 * minute;
    // Promoted at start + 1 min, but that event arrives before the registration at start.
    await roleChanged(user, 'CUSTOMER', 'AGENT', new Date(start + minute));
    await service.waitForKnownRole(user.userId, 'AGENT');
    const late = await registered(user, new Date(start));
    await service.waitForProcessed(late.id);

    await service.waitForKnownRole(user.userId, 'AGENT');
    expect(dataOf(await assignTo(user))).toMatchObject({
      assignTicket: { assignee: { id: user.userId } },
    });
  });

  it('never assigns to an erased user, even when an older role change arrives afterwards', async () => {
    const leaver = anIdentity('AGENT');
    await service.registerUsers(leaver);
    await service.publish('user.erased', leaver.userId, { userId: leaver.userId }, new Date());
    await service.waitForKnownRole(leaver.userId, 'ERASED');

    const stale = await roleChanged(leaver, 'CUSTOMER', 'AGENT', new Date(Date.now() - 5 * minute));
    await service.waitForProcessed(stale.id);
    await service.waitForKnownRole(leaver.userId, 'ERASED');
    expect(errorOf(await assignTo(leaver))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'assigneeId',
    });
  });
});
