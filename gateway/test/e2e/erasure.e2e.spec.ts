import { dataOf, errorOf, waitFor } from '@servicedesk/testing';
import { Actor, createTicket, loginAdmin, register, registerAgent } from './actors';
import { BOOK, BookedAppointment, DAY_MS, setWorkingHours, slotsOf } from './calendar';
import { startStack, Stack } from './stack';

interface AuditEntryView {
  type: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

describe('erasing a person from every service, through the gateway', () => {
  let stack: Stack;
  let admin: Actor;
  let agent: Actor;
  let customer: Actor;
  let ticketId: string;
  let appointment: BookedAppointment;

  beforeAll(async () => {
    stack = await startStack();
    admin = await loginAdmin(stack);
    agent = await registerAgent(stack, admin, 'Grace');
    await setWorkingHours(agent, {});
    customer = await register(stack, 'Erin Example');
    ticketId = (await createTicket(customer, { title: 'Erin cannot print payslips' })).id;
    const [slot] = await slotsOf(customer, agent.id, new Date(), new Date(Date.now() + 7 * DAY_MS));
    appointment = await waitFor(
      async () =>
        (
          await customer.query<{ bookAppointment: BookedAppointment }>(BOOK, {
            input: { agentId: agent.id, startsAt: slot.startsAt, durationMinutes: 60, ticketId },
          })
        ).data?.bookAppointment,
      { description: 'the appointment service to learn of the ticket' },
    );
    await stack.mail.waitForMail(
      (mail) => mail.to.includes(customer.email),
      'a first email to the customer',
    );
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function auditEntriesOf(aggregateId: string): Promise<AuditEntryView[]> {
    const { auditLog } = dataOf(
      await admin.query<{ auditLog: { edges: Array<{ node: AuditEntryView }> } }>(
        `query($id: ID!) { auditLog(filter: { aggregateId: $id }, first: 100) {
          edges { node { type aggregateId payload } }
        } }`,
        { id: aggregateId },
      ),
    );
    return auditLog.edges.map((edge) => edge.node);
  }

  it('refuses to let one customer erase another', async () => {
    const other = await register(stack, 'Mallory');
    const error = errorOf(
      await other.query(`mutation($id: ID!) { eraseUser(userId: $id) { userId } }`, {
        id: customer.id,
      }),
    );
    expect(error.code).toBe('FORBIDDEN');
  });

  it('reads the person in clear from the audit log before the erasure', async () => {
    const entries = await waitFor(
      async () => {
        const found = await auditEntriesOf(customer.id);
        return found.some((e) => e.type === 'user.registered') && found;
      },
      { description: 'the registration in the audit log' },
    );
    const registered = entries.find((e) => e.type === 'user.registered')!;
    expect(registered.payload).toMatchObject({ email: customer.email, name: 'Erin Example' });
  });

  it('lets a person erase their own account, and every service forgets them', async () => {
    dataOf(
      await customer.query(`mutation($id: ID!) { eraseUser(userId: $id) { userId } }`, {
        id: customer.id,
      }),
    );

    // user: anonymized, and the old credentials no longer work
    const { user } = dataOf(
      await admin.query<{ user: { name: string; email: string } }>(
        `query($id: ID!) { user(id: $id) { name email } }`,
        { id: customer.id },
      ),
    );
    expect(user.name).not.toContain('Erin');
    expect(user.email).not.toBe(customer.email);
    expect(
      errorOf(
        await stack.api.query(
          `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
          { e: customer.email, p: customer.password },
        ),
      ).code,
    ).toBe('UNAUTHENTICATED');

    // ticket: the request stays, its text does not
    await waitFor(
      async () => {
        const { ticket } = dataOf(
          await agent.query<{ ticket: { title: string; description: string } }>(
            `query($id: ID!) { ticket(id: $id) { title description } }`,
            { id: ticketId },
          ),
        );
        return !ticket.title.includes('Erin') && !ticket.description.includes('printer');
      },
      { description: 'the ticket service to redact the ticket' },
    );

    // appointment: the future appointment is cancelled, and the agent hears of it
    await waitFor(
      async () => {
        const { appointment: view } = dataOf(
          await agent.query<{ appointment: { status: string } }>(
            `query($id: ID!) { appointment(id: $id) { status } }`,
            { id: appointment.id },
          ),
        );
        return view.status === 'CANCELLED';
      },
      { description: 'the appointment service to cancel the appointment' },
    );
    await stack.mail.waitForMail(
      (mail) => mail.to.includes(agent.email) && /cancel/i.test(mail.subject),
      'the cancellation email to the agent',
    );

    // notification: nothing of theirs is left
    await waitFor(
      async () => {
        const { myNotifications } = dataOf(
          await customer.query<{ myNotifications: { edges: unknown[] } }>(
            `{ myNotifications(first: 10) { edges { cursor } } }`,
          ),
        );
        return myNotifications.edges.length === 0;
      },
      { description: 'the notification service to delete the notifications' },
    );

    // audit: the chain still verifies, and the personal data can no longer be read
    const entries = await waitFor(
      async () => {
        const found = await auditEntriesOf(customer.id);
        return found.some((e) => e.type === 'user.erased') && found;
      },
      { description: 'the erasure in the audit log' },
    );
    const registered = entries.find((e) => e.type === 'user.registered')!;
    expect(JSON.stringify(registered.payload)).not.toContain(customer.email);
    expect(JSON.stringify(registered.payload)).not.toContain('Erin');
    const ticketEntries = await auditEntriesOf(ticketId);
    const created = ticketEntries.find((e) => e.type === 'ticket.created')!;
    expect(JSON.stringify(created.payload)).not.toContain('payslips');
    const { verifyAuditChain } = dataOf(
      await admin.query<{ verifyAuditChain: { ok: boolean; checked: number } }>(
        `{ verifyAuditChain { ok checked } }`,
      ),
    );
    expect(verifyAuditChain.ok).toBe(true);
    expect(verifyAuditChain.checked).toBeGreaterThan(entries.length);
  });
});
