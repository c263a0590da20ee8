import { dataOf, errorOf, waitFor } from '@servicedesk/testing';
import { Actor, createTicket, loginAdmin, register, registerAgent } from './actors';
import { startStack, Stack } from './stack';

interface TicketView {
  ticket: {
    id: string;
    status: string;
    version: number;
    assignee: { id: string; name: string } | null;
    requester: { id: string; name: string };
    comments: Array<{ body: string; internal: boolean; author: { id: string; name: string } }>;
    firstRespondedAt: string | null;
  } | null;
}

const TICKET_VIEW = `query($id: ID!) { ticket(id: $id) {
  id status version firstRespondedAt
  requester { id name } assignee { id name }
  comments { body internal author { id name } }
} }`;

describe('a ticket from opening to audit, through the gateway', () => {
  let stack: Stack;
  let admin: Actor;
  let customer: Actor;
  let otherCustomer: Actor;
  let agent: Actor;
  let ticketId: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await loginAdmin(stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('lets a customer register and open a ticket, retrying safely under an idempotency key', async () => {
    customer = await register(stack, 'Ada');
    const ticket = await createTicket(customer, { title: 'VPN drops every hour' }, 'open-vpn');
    const retried = await createTicket(customer, { title: 'VPN drops every hour' }, 'open-vpn');
    expect(retried.id).toBe(ticket.id);
    ticketId = ticket.id;
    const view = dataOf(await customer.query<TicketView>(TICKET_VIEW, { id: ticketId }));
    expect(view.ticket).toMatchObject({
      status: 'OPEN',
      requester: { id: customer.id, name: 'Ada' },
      assignee: null,
    });
  });

  it('lets an admin make another user an agent', async () => {
    agent = await registerAgent(stack, admin, 'Grace');
    const me = dataOf(await agent.query<{ me: { role: string } }>('{ me { role } }'));
    expect(me.me.role).toBe('AGENT');
  });

  it('lets the agent assign the ticket to themself once the ticket service knows the new agent', async () => {
    const assigned = await waitFor(
      async () => {
        const response = await agent.query<{
          assignTicket: { assignee: { id: string; name: string } };
        }>(
          `mutation($t: ID!, $a: ID!) { assignTicket(ticketId: $t, assigneeId: $a) { assignee { id name } } }`,
          { t: ticketId, a: agent.id },
        );
        return response.data?.assignTicket;
      },
      { description: 'the ticket service to learn of the new agent' },
    );
    expect(assigned.assignee).toEqual({ id: agent.id, name: 'Grace' });
  });

  it('lets the agent answer publicly and internally and move the status', async () => {
    const comment = `mutation($t: ID!, $b: String!, $i: Boolean, $k: String) {
      addComment(ticketId: $t, body: $b, internal: $i, idempotencyKey: $k) { id internal } }`;
    const answer = { t: ticketId, b: 'We are on it.', i: false, k: 'answer-1' };
    const answered = dataOf(await agent.query<{ addComment: { id: string } }>(comment, answer));
    // A retry returns the same comment; the audit trail below proves no second event left.
    const retried = dataOf(await agent.query<{ addComment: { id: string } }>(comment, answer));
    expect(retried.addComment.id).toBe(answered.addComment.id);
    dataOf(
      await agent.query(comment, { t: ticketId, b: 'Looks like the old firmware again.', i: true }),
    );
    const before = dataOf(await agent.query<TicketView>(TICKET_VIEW, { id: ticketId }));
    const moved = dataOf(
      await agent.query<{ changeTicketStatus: { status: string; version: number } }>(
        `mutation($t: ID!, $v: Int!) { changeTicketStatus(ticketId: $t, status: IN_PROGRESS, expectedVersion: $v) { status version } }`,
        { t: ticketId, v: before.ticket!.version },
      ),
    );
    expect(moved.changeTicketStatus).toEqual({
      status: 'IN_PROGRESS',
      version: before.ticket!.version + 1,
    });
  });

  it('shows the customer the public comment and never the internal one', async () => {
    const view = dataOf(await customer.query<TicketView>(TICKET_VIEW, { id: ticketId }));
    expect(view.ticket!.comments).toEqual([
      { body: 'We are on it.', internal: false, author: { id: agent.id, name: 'Grace' } },
    ]);
    expect(view.ticket!.firstRespondedAt).not.toBeNull();
    const agentView = dataOf(await agent.query<TicketView>(TICKET_VIEW, { id: ticketId }));
    expect(agentView.ticket!.comments.map((c) => c.internal)).toEqual([false, true]);
  });

  it('hides the internal comment from the customer through the user → tickets federation path too', async () => {
    const response = dataOf(
      await customer.query<{
        me: { tickets: { edges: Array<{ node: { comments: Array<{ internal: boolean }> } }> } };
      }>('{ me { tickets(first: 10) { edges { node { comments { internal body } } } } } }'),
    );
    const comments = response.me.tickets.edges.flatMap((edge) => edge.node.comments);
    expect(comments.length).toBe(1);
    expect(comments.every((comment) => !comment.internal)).toBe(true);
  });

  it("does not show a customer another customer's ticket", async () => {
    otherCustomer = await register(stack, 'Mallory');
    const response = await otherCustomer.query<TicketView>(TICKET_VIEW, { id: ticketId });
    expect(response.data?.ticket ?? null).toBeNull();
    expect(errorOf(response).code).toBe('NOT_FOUND');
    const list = dataOf(
      await otherCustomer.query<{ tickets: { edges: unknown[] } }>(
        '{ tickets(first: 50) { edges { cursor } } }',
      ),
    );
    expect(list.tickets.edges).toEqual([]);
  });

  it('keeps an audit trail of every event of the ticket, in order, on a chain that verifies', async () => {
    const expected = [
      'ticket.created',
      'ticket.assigned',
      'ticket.commented',
      'ticket.commented',
      'ticket.status_changed',
    ];
    const trail = await waitFor(
      async () => {
        const response = await agent.query<{
          ticket: {
            auditTrail: {
              edges: Array<{ node: { type: string; seq: string; actor: { id: string } | null } }>;
            };
          };
        }>(
          `query($id: ID!) { ticket(id: $id) { auditTrail(first: 50) { edges { node { type seq actor { id } } } } } }`,
          {
            id: ticketId,
          },
        );
        const edges = response.data?.ticket.auditTrail.edges ?? [];
        return edges.length >= expected.length ? edges.map((edge) => edge.node) : undefined;
      },
      { description: 'the audit service to record the ticket events' },
    );
    expect(trail.map((entry) => entry.type)).toEqual(expected);
    const seqs = trail.map((entry) => BigInt(entry.seq));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(trail[0].actor?.id).toBe(customer.id);
    expect(trail[1].actor?.id).toBe(agent.id);

    const verification = dataOf(
      await admin.query<{
        verifyAuditChain: { ok: boolean; checked: number; firstBrokenSeq: string | null };
      }>('{ verifyAuditChain { ok checked firstBrokenSeq } }'),
    );
    expect(verification.verifyAuditChain.ok).toBe(true);
    expect(verification.verifyAuditChain.firstBrokenSeq).toBeNull();
    expect(verification.verifyAuditChain.checked).toBeGreaterThanOrEqual(expected.length);
  });
});
