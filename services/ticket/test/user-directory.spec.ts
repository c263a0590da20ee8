import { Identity } from '@servicedesk/platform';
import { anEvent, anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import { ASSIGN_TICKET, createTicket } from './builders';
import { TicketServiceFixture, startTicketService } from './ticket-service.fixture';

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

  afterAll(() => service?.close());

  async function assignTo(user: Identity) {
    const ticket = await createTicket(service, customer);
    return service.query(ASSIGN_TICKET, { ticketId: ticket.id, assigneeId: user.userId }, lead);
  }

  async function expectAssignable(user: Identity) {
    expect(dataOf(await assignTo(user))).toMatchObject({
      assignTicket: { assignee: { id: user.userId } },
    });
  }

  async function expectNotAssignable(user: Identity) {
    expect(errorOf(await assignTo(user))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'assigneeId',
    });
  }

  function registered(user: Identity, at: Date) {
    return service.publish(
      anEvent('user.registered', {
        aggregateId: user.userId,
        payload: { role: 'CUSTOMER' },
        occurredAt: at,
      }),
    );
  }

  function roleChanged(
    user: Identity,
    previousRole: Identity['role'],
    role: Identity['role'],
    at: Date,
  ) {
    return service.publish(
      anEvent('user.role_changed', {
        aggregateId: user.userId,
        payload: { previousRole, role },
        occurredAt: at,
      }),
    );
  }

  it('makes a registered customer known, and assignable once promoted to agent', async () => {
    const newHire = anIdentity('AGENT');
    const start = Date.now() - 10 * minute;
    await registered(newHire, new Date(start));
    await service.waitForKnownRole(newHire.userId, 'CUSTOMER');
    await expectNotAssignable(newHire);

    await roleChanged(newHire, 'CUSTOMER', 'AGENT', new Date(start + minute));
    await service.waitForKnownRole(newHire.userId, 'AGENT');
    await expectAssignable(newHire);
  });

  it('stops assigning to an agent demoted back to customer', async () => {
    const formerAgent = anIdentity('AGENT');
    await service.registerUsers(formerAgent);
    await roleChanged(formerAgent, 'AGENT', 'CUSTOMER', new Date());
    await service.waitForKnownRole(formerAgent.userId, 'CUSTOMER');
    await expectNotAssignable(formerAgent);
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
    await expectAssignable(user);
  });

  it('never assigns to an erased user, even when an older role change arrives afterwards', async () => {
    const leaver = anIdentity('AGENT');
    await service.registerUsers(leaver);
    await service.publish(anEvent('user.erased', { aggregateId: leaver.userId }));
    await service.waitForKnownRole(leaver.userId, 'ERASED');

    const stale = await roleChanged(leaver, 'CUSTOMER', 'AGENT', new Date(Date.now() - 5 * minute));
    await service.waitForProcessed(stale.id);
    await service.waitForKnownRole(leaver.userId, 'ERASED');
    await expectNotAssignable(leaver);
  });
});
