import { dataOf, waitFor } from '@servicedesk/testing';
import { Actor, createTicket, loginAdmin, register, registerAgent } from './actors';
import { startStack, Stack, SubgraphName } from './stack';

/** SQL statements one subgraph ran while serving requests (its relay and consumers aside). */
async function queriesRun(managementUrl: string): Promise<number> {
  const text = await (await fetch(`${managementUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('db_queries_total{') && line.includes('origin="http"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

async function queriesRunEverywhere(stack: Stack): Promise<number> {
  const names = Object.keys(stack.subgraphUrls) as SubgraphName[];
  const counts = await Promise.all(
    names.map((name) => queriesRun(stack.subgraphManagementUrl(name))),
  );
  return counts.reduce((a, b) => a + b, 0);
}

const TICKETS_WITH_PEOPLE = `query($first: Int!) { tickets(first: $first) { edges { node {
  id title
  requester { id name email }
  assignee { id name }
  comments { body author { id name role } }
} } } }`;

describe('a federated query over many tickets', () => {
  let stack: Stack;
  let agent: Actor;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await loginAdmin(stack);
    agent = await registerAgent(stack, admin, 'Linus');
    const customers = await Promise.all(
      ['Ada', 'Alan', 'Barbara', 'Edsger', 'Frances'].map((n) => register(stack, n)),
    );
    const tickets: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      const ticket = await createTicket(customers[i % customers.length], { title: `Ticket ${i}` });
      tickets.push(ticket.id);
    }
    await waitFor(
      async () =>
        (
          await agent.query(
            `mutation($t: ID!, $a: ID!) { assignTicket(ticketId: $t, assigneeId: $a) { id } }`,
            {
              t: tickets[0],
              a: agent.id,
            },
          )
        ).data ?? undefined,
      { description: 'the ticket service to learn of the new agent' },
    );
    for (const [i, id] of tickets.entries()) {
      if (i > 0) {
        dataOf(
          await agent.query(
            `mutation($t: ID!, $a: ID!) { assignTicket(ticketId: $t, assigneeId: $a) { id } }`,
            { t: id, a: agent.id },
          ),
        );
      }
      dataOf(
        await agent.query(
          `mutation($t: ID!) { addComment(ticketId: $t, body: "Looking into it") { id } }`,
          { t: id },
        ),
      );
      const customer = customers[i % customers.length];
      dataOf(
        await customer.query(
          `mutation($t: ID!) { addComment(ticketId: $t, body: "Thanks") { id } }`,
          { t: id },
        ),
      );
    }
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function statementsFor(first: number): Promise<{ statements: number; tickets: number }> {
    const before = await queriesRunEverywhere(stack);
    const data = dataOf(
      await agent.query<{
        tickets: { edges: Array<{ node: { comments: Array<{ author: { name: string } }> } }> };
      }>(TICKETS_WITH_PEOPLE, { first }),
    );
    const after = await queriesRunEverywhere(stack);
    for (const edge of data.tickets.edges) {
      expect(edge.node.comments).toHaveLength(2);
      expect(edge.node.comments.every((comment) => comment.author.name.length > 0)).toBe(true);
    }
    return { statements: after - before, tickets: data.tickets.edges.length };
  }

  it('runs a small, fixed number of SQL statements however many tickets it returns (no N+1)', async () => {
    const few = await statementsFor(5);
    const many = await statementsFor(50);
    expect(few.tickets).toBe(5);
    expect(many.tickets).toBe(50);
    // tickets page + comments batch in ticket; one batched user lookup per fetch in user.
    expect(many.statements).toBeLessThanOrEqual(8);
    expect(many.statements).toBe(few.statements);
  });
});
