// Circuit breakers and retries of the gateway's subgraph calls against the real subgraphs: a
// subgraph made unreachable or slow opens its breaker, which then answers at once naming it and
// recovers by itself; a read whose answer was lost is tried once more, a mutation never.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ACCESS_LOG_MESSAGE, createLogger } from '@servicedesk/platform';
import { RunningGateway } from '@servicedesk/gateway';
import { dataOf, waitFor } from '@servicedesk/testing';
import { Actor, createTicket, register } from '../actors';
import { SlowLink } from '../slow-link';
import { Stack, startStack } from '../stack';
import { RawAnswer, SubgraphLink, gatewayMetric, post, startGatewayFor } from './support';

const RESET_TIMEOUT_MS = 3_000;
const SUBGRAPH_TIMEOUT_MS = 1_000;
/** Half a subgraph call's timeout: an open breaker answers without waiting on anything. */
const AT_ONCE_MS = SUBGRAPH_TIMEOUT_MS / 2;
const BREAKERS = {
  CIRCUIT_BREAKER_VOLUME_THRESHOLD: '4',
  CIRCUIT_BREAKER_ERROR_PERCENTAGE: '50',
  CIRCUIT_BREAKER_WINDOW_MS: '10000',
  CIRCUIT_BREAKER_RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS),
  SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
};
const STATE = { closed: 0, half_open: 1, open: 2 };

const MY_TICKETS = '{ tickets(first: 50) { edges { node { id } } } }';
const MY_APPOINTMENTS = '{ appointments { edges { cursor } } }';

type LogLine = Record<string, unknown>;

describe('circuit breakers and retries of subgraph calls, against the real subgraphs', () => {
  let stack: Stack;
  let customer: Actor;
  let ticketLink: SubgraphLink;
  let appointmentLink: SlowLink;
  let gateway: RunningGateway;
  const ticketLines: LogLine[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      ticketLines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
      done();
    },
  });

  beforeAll(async () => {
    stack = await startStack(
      {},
      {
        logger: (name) =>
          name === 'ticket' ? createLogger(name, 'info', collect) : createLogger(name, 'warn'),
      },
    );
    customer = await register(stack, 'Breaker');
    await createTicket(customer, { title: 'Before any fault' });
    ticketLink = await SubgraphLink.to(stack.subgraphUrls.ticket);
    appointmentLink = await SlowLink.to(stack.subgraphUrls.appointment);
    // A gateway of its own with quick breakers, reaching ticket and appointment through links.
    gateway = await startGatewayFor(stack, BREAKERS, {
      subgraphUrls: { ticket: ticketLink.url, appointment: appointmentLink.url },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all([ticketLink?.close(), appointmentLink?.close()]);
    await stack?.close();
  });

  async function ask(query: string, correlationId = randomUUID()): Promise<RawAnswer> {
    return post(
      gateway.url,
      { query },
      { authorization: `Bearer ${customer.accessToken}`, 'x-correlation-id': correlationId },
    );
  }

  const ticketAccessLines = (correlationId: string) =>
    ticketLines.filter(
      (line) => line.msg === ACCESS_LOG_MESSAGE && line.correlationId === correlationId,
    );

  const metric = async (name: string, labels: Record<string, string>) =>
    (await gatewayMetric(gateway, name, labels)) ?? 0;

  const breakerState = (dependency: string) => metric('circuit_breaker_state', { dependency });

  const unavailableNames = (answer: RawAnswer) =>
    (answer.errors ?? []).map((error) => [error.extensions?.code, error.extensions?.serviceName]);

  /** Sends `query` until the breaker of `dependency` is open; each answer names it unavailable. */
  async function openBreaker(dependency: string, query: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const answer = await ask(query);
      expect(unavailableNames(answer)).toEqual([['SERVICE_UNAVAILABLE', dependency]]);
      if ((await breakerState(dependency)) === STATE.open) return;
    }
    throw new Error(`the breaker of ${dependency} did not open within 10 requests`);
  }

  it('tries a read once more when its answer was lost, and answers it', async () => {
    const correlationId = randomUUID();
    const retriesBefore = await metric('subgraph_retries_total', { subgraph: 'ticket' });
    const linkRequestsBefore = ticketLink.requests;
    ticketLink.failNext('drop-answer');

    const answer = await ask(MY_TICKETS, correlationId);

    expect(answer.errors).toBeUndefined();
    expect(ticketLink.requests - linkRequestsBefore).toBe(2);
    expect(ticketAccessLines(correlationId)).toHaveLength(2);
    expect(await metric('subgraph_retries_total', { subgraph: 'ticket' })).toBe(retriesBefore + 1);
  });

  it('never tries a mutation twice: its lost answer is SERVICE_UNAVAILABLE, and it ran once', async () => {
    const correlationId = randomUUID();
    const retriesBefore = await metric('subgraph_retries_total', { subgraph: 'ticket' });
    const ticketsBefore = dataOf(await customer.query<TicketPage>(MY_TICKETS)).tickets.edges.length;
    ticketLink.failNext('drop-answer');

    const answer = await ask(
      'mutation { createTicket(input: { title: "Once", description: "only" }) { id } }',
      correlationId,
    );

    expect(unavailableNames(answer)).toEqual([['SERVICE_UNAVAILABLE', 'ticket']]);
    expect(ticketAccessLines(correlationId)).toHaveLength(1);
    expect(await metric('subgraph_retries_total', { subgraph: 'ticket' })).toBe(retriesBefore);
    const ticketsAfter = dataOf(await customer.query<TicketPage>(MY_TICKETS)).tickets.edges.length;
    expect(ticketsAfter).toBe(ticketsBefore + 1);
  });

  describe('an unreachable subgraph', () => {
    it('opens its breaker: the next call is answered at once, naming it, without reaching it', async () => {
      ticketLink.down = true;
      await openBreaker('ticket', MY_TICKETS);
      const linkRequestsBefore = ticketLink.requests;
      const rejectedBefore = await metric('circuit_breaker_rejected_calls_total', {
        dependency: 'ticket',
      });

      const answer = await ask(MY_TICKETS);

      expect(unavailableNames(answer)).toEqual([['SERVICE_UNAVAILABLE', 'ticket']]);
      expect(answer.elapsedMs).toBeLessThan(AT_ONCE_MS);
      expect(ticketLink.requests).toBe(linkRequestsBefore);
      expect(
        await metric('circuit_breaker_rejected_calls_total', { dependency: 'ticket' }),
      ).toBeGreaterThan(rejectedBefore);
      // The rest of the graph is served meanwhile.
      expect(dataOf(await ask('{ me { id } }'))).toEqual({ me: { id: customer.id } });
    });

    it('half-opens after the reset timeout by itself, and the first call that succeeds closes it', async () => {
      ticketLink.down = false;
      await waitFor(async () => (await breakerState('ticket')) === STATE.half_open, {
        timeoutMs: RESET_TIMEOUT_MS * 3,
        description: 'the ticket breaker half-open',
      });

      const answer = await ask(MY_TICKETS);

      expect(answer.errors).toBeUndefined();
      expect(await breakerState('ticket')).toBe(STATE.closed);
      for (const to of ['open', 'half_open', 'closed']) {
        expect(
          await metric('circuit_breaker_transitions_total', { dependency: 'ticket', to }),
        ).toBeGreaterThanOrEqual(1);
      }
    });
  });

  describe('a slow subgraph', () => {
    it('opens its breaker after calls time out: the next call is answered at once, naming it', async () => {
      appointmentLink.delayMs = SUBGRAPH_TIMEOUT_MS * 2;
      await openBreaker('appointment', MY_APPOINTMENTS);

      const answer = await ask(MY_APPOINTMENTS);

      expect(unavailableNames(answer)).toEqual([['SERVICE_UNAVAILABLE', 'appointment']]);
      expect(answer.elapsedMs).toBeLessThan(AT_ONCE_MS);
    });

    it('closes again by itself once the subgraph is quick again', async () => {
      appointmentLink.restore();
      await waitFor(async () => (await breakerState('appointment')) === STATE.half_open, {
        timeoutMs: RESET_TIMEOUT_MS * 3,
        description: 'the appointment breaker half-open',
      });

      expect(dataOf(await ask(MY_APPOINTMENTS))).toEqual({ appointments: { edges: [] } });
      expect(await breakerState('appointment')).toBe(STATE.closed);
    });
  });
});

interface TicketPage {
  tickets: { edges: unknown[] };
}
