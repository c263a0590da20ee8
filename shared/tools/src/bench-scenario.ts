import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClient, GraphQLCallError } from './bench-client';
import { runLoad } from './bench-load';
import { LatencySummary, perSecond, summarizeLatencies } from './bench-stats';

/**
 * What the benchmark does through the gateway, and only through it: sets the scene (an
 * admin, customers, an agent, a page of tickets worth reading), then measures each path.
 */

/** Tickets seeded before the read phase: one full page of the measured query. */
const SEED_TICKETS = 20;
/** Setup calls in flight at once; registration hashes a password, which is CPU-bound. */
const SETUP_PARALLELISM = 2;
/** Sign-ins are measured at the concurrency of a small office, not of a load test. */
const LOGIN_CLIENTS = 2;
const LOGIN_MAX_SECONDS = 5;
const READ_WARM_UP_MS = 2000;
const MAX_READS = 200_000;
const MAX_WRITES = 10_000;
const MAX_LOGINS = 100;
/** How long setup waits for the services to catch up with each other. */
const SETTLE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

const AUTH_FIELDS = 'accessToken user { id }';
const LOGIN = `mutation BenchLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) { ${AUTH_FIELDS} } }`;
const REGISTER = `mutation BenchRegister($input: RegisterInput!) {
  register(input: $input) { ${AUTH_FIELDS} } }`;
const MAKE_AGENT = `mutation BenchMakeAgent($id: ID!) { setUserRole(userId: $id, role: AGENT) { id } }`;
const CREATE_TICKET = `mutation BenchCreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { id } }`;
const ASSIGN_TICKET = `mutation BenchAssign($ticketId: ID!, $assigneeId: ID!) {
  assignTicket(ticketId: $ticketId, assigneeId: $assigneeId) { id } }`;
const ADD_COMMENT = `mutation BenchComment($ticketId: ID!, $body: String!) {
  addComment(ticketId: $ticketId, body: $body) { id } }`;
const READ_QUERY = `query BenchTickets { tickets(first: 20) { edges { node {
  id title requester { name } assignee { name } comments { author { name } } } } } }`;
const OUTBOXES = `query BenchOutboxes {
  userOperations { outbox { pending failed } }
  ticketOperations { outbox { pending failed } }
  auditOperations { deadLetterQueues { queue messageCount } } }`;
const AUDITED_TICKETS = `query BenchAudited($from: DateTime!, $after: String) {
  auditLog(filter: { type: "ticket.created", occurredFrom: $from }, first: 100, after: $after) {
    edges { node { aggregateId occurredAt recordedAt } }
    pageInfo { hasNextPage endCursor } } }`;

interface AuthPayload {
  accessToken: string;
  user: { id: string };
}

interface Actor {
  id: string;
  email: string;
  password: string;
  token: string;
}

interface Outboxes {
  userOperations: { outbox: { pending: number; failed: number } };
  ticketOperations: { outbox: { pending: number; failed: number } };
  auditOperations: { deadLetterQueues: Array<{ queue: string; messageCount: number }> };
}

interface AuditPage {
  auditLog: {
    edges: Array<{ node: { aggregateId: string; occurredAt: string; recordedAt: string } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface TicketsPage {
  tickets: {
    edges: Array<{ node: { assignee: { name: string } | null; comments: unknown[] } }>;
  };
}

export interface PhaseFigures {
  clients: number;
  seconds: number;
  ok: number;
  errors: number;
  firstError: string | null;
  perSecond: number;
  latencyMs: LatencySummary;
}

export interface PipelineFigures {
  /** ticket.created events written in the write phase, every one found in the audit log. */
  events: number;
  /** From the last write's answer until the audit log had recorded the last of them. */
  drainMs: number;
  /** Events over the time from the first write until the last one was recorded. */
  eventsPerSecond: number;
  /** Per event: audit recordedAt − occurredAt (written to the outbox). */
  lagMs: LatencySummary;
}

export interface ScenarioFigures {
  read: PhaseFigures;
  write: PhaseFigures;
  pipeline: PipelineFigures | null;
  login: PhaseFigures;
}

export interface ScenarioOptions {
  api: GatewayClient;
  signal: AbortSignal;
  say(line: string): void;
  admin: { email: string; password: string };
  durationSeconds: number;
  concurrency: number;
}

function aPerson(role: string) {
  const tag = randomUUID().slice(0, 8);
  return {
    email: `bench-${role}-${tag}@example.com`,
    password: `Bench-pw-${randomUUID()}`,
    name: `Bench ${role} ${tag}`,
    timeZone: 'Europe/Paris',
  };
}

function aTicket(n: number) {
  return {
    title: `Benchmark ticket ${n}`,
    description: 'The printer on the second floor prints blank pages since this morning.',
    priority: 'NORMAL',
    tags: ['bench'],
  };
}

function figuresOf(clients: number, result: Awaited<ReturnType<typeof runLoad>>): PhaseFigures {
  return {
    clients,
    seconds: result.elapsedMs / 1000,
    ok: result.latenciesMs.length,
    errors: result.errors,
    firstError: result.firstError,
    perSecond: perSecond(result.latenciesMs.length, result.elapsedMs),
    latencyMs: summarizeLatencies(result.latenciesMs),
  };
}

/** Runs `work` for every item, at most `parallel` at a time, in item order per worker. */
async function forEachLimited<T, R>(
  items: readonly T[],
  parallel: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}

/** The benchmark scenario against one running stack. */
export class BenchScenario {
  private readonly api: GatewayClient;
  private readonly signal: AbortSignal;

  constructor(private readonly options: ScenarioOptions) {
    this.api = options.api;
    this.signal = options.signal;
  }

  async run(): Promise<ScenarioFigures> {
    const { say, durationSeconds, concurrency } = this.options;
    const durationMs = durationSeconds * 1000;

    say('setting up: admin, customers, an agent and a page of tickets');
    const admin = await this.login(this.options.admin.email, this.options.admin.password);
    const customers = await forEachLimited(
      Array.from({ length: concurrency }, () => aPerson('customer')),
      SETUP_PARALLELISM,
      (person) => this.register(person),
    );
    const agent = await this.registerAgent(admin);
    await this.seedTickets(customers, agent);
    await this.waitForEmptyOutboxes(admin);

    say(`read: tickets(first: 20) as the agent, ${concurrency} clients, ${durationSeconds} s`);
    const readAsAgent = async () => {
      await this.api.call(READ_QUERY, {}, agent.token);
    };
    await runLoad({
      clients: concurrency,
      durationMs: Math.min(READ_WARM_UP_MS, durationMs),
      maxOperations: MAX_READS,
      signal: this.signal,
      operation: readAsAgent,
    });
    const read = figuresOf(
      concurrency,
      await runLoad({
        clients: concurrency,
        durationMs,
        maxOperations: MAX_READS,
        signal: this.signal,
        operation: readAsAgent,
      }),
    );

    say(`write: createTicket by ${concurrency} customers, ${durationSeconds} s`);
    const created = new Set<string>();
    const writesStartedAt = Date.now();
    const writeResult = await runLoad({
      clients: concurrency,
      durationMs,
      maxOperations: MAX_WRITES,
      signal: this.signal,
      operation: async (client) => {
        const { createTicket } = await this.api.call<{ createTicket: { id: string } }>(
          CREATE_TICKET,
          { input: aTicket(created.size + 1) },
          customers[client].token,
        );
        created.add(createTicket.id);
      },
    });
    const writesEndedAt = Date.now();
    const write = figuresOf(concurrency, writeResult);

    say(`pipeline: waiting until the audit log holds all ${created.size} ticket.created events`);
    const pipeline =
      created.size === 0
        ? null
        : await this.measurePipeline(admin, created, writesStartedAt, writesEndedAt);

    const loginClients = Math.min(LOGIN_CLIENTS, concurrency);
    const loginSeconds = Math.min(LOGIN_MAX_SECONDS, durationSeconds);
    say(`login: ${loginClients} clients, ${loginSeconds} s`);
    const login = figuresOf(
      loginClients,
      await runLoad({
        clients: loginClients,
        durationMs: loginSeconds * 1000,
        maxOperations: MAX_LOGINS,
        signal: this.signal,
        operation: async (client) => {
          await this.login(customers[client].email, customers[client].password);
        },
      }),
    );

    return { read, write, pipeline, login };
  }

  private async login(email: string, password: string): Promise<Actor> {
    const { login } = await this.api.call<{ login: AuthPayload }>(LOGIN, { email, password });
    return { id: login.user.id, email, password, token: login.accessToken };
  }

  private async register(person: ReturnType<typeof aPerson>): Promise<Actor> {
    const { register } = await this.api.call<{ register: AuthPayload }>(REGISTER, {
      input: person,
    });
    return {
      id: register.user.id,
      email: person.email,
      password: person.password,
      token: register.accessToken,
    };
  }

  /** A new account made an agent by the admin, signed in again so its token carries the role. */
  private async registerAgent(admin: Actor): Promise<Actor> {
    const person = await this.register(aPerson('agent'));
    await this.api.call(MAKE_AGENT, { id: person.id }, admin.token);
    return this.login(person.email, person.password);
  }

  /**
   * One page of tickets as the read phase will see them: each assigned to the agent and
   * commented on by its requester and the agent, so every nested field has work to do.
   */
  private async seedTickets(customers: Actor[], agent: Actor): Promise<void> {
    const tickets = await forEachLimited(
      Array.from({ length: SEED_TICKETS }, (_, n) => n),
      SETUP_PARALLELISM,
      async (n) => {
        const requester = customers[n % customers.length];
        const { createTicket } = await this.api.call<{ createTicket: { id: string } }>(
          CREATE_TICKET,
          { input: aTicket(n + 1) },
          requester.token,
        );
        return { id: createTicket.id, requester };
      },
    );
    // The ticket service learns about the new agent from an event: until then it refuses the assignment.
    await this.poll('the ticket service to accept the agent as an assignee', async () => {
      await this.api.call(
        ASSIGN_TICKET,
        { ticketId: tickets[0].id, assigneeId: agent.id },
        agent.token,
      );
      return true;
    });
    await forEachLimited(tickets, SETUP_PARALLELISM, async ({ id, requester }) => {
      await this.api.call(ASSIGN_TICKET, { ticketId: id, assigneeId: agent.id }, agent.token);
      await this.api.call(
        ADD_COMMENT,
        { ticketId: id, body: 'It still happens.' },
        requester.token,
      );
      await this.api.call(ADD_COMMENT, { ticketId: id, body: 'Looking into it.' }, agent.token);
    });

    const { tickets: page } = await this.api.call<TicketsPage>(READ_QUERY, {}, agent.token);
    const complete = page.edges.filter(
      ({ node }) => node.assignee !== null && node.comments.length === 2,
    );
    if (complete.length !== SEED_TICKETS) {
      throw new Error(
        `the read query should see ${SEED_TICKETS} assigned tickets with 2 comments each, saw ${complete.length}`,
      );
    }
  }

  /** Lets the setup's events drain so the read phase does not compete with them. */
  private async waitForEmptyOutboxes(admin: Actor): Promise<void> {
    await this.poll('the setup events to leave the outboxes', async () => {
      const outboxes = await this.api.call<Outboxes>(OUTBOXES, {}, admin.token);
      return (
        outboxes.userOperations.outbox.pending === 0 &&
        outboxes.ticketOperations.outbox.pending === 0
      );
    });
  }

  private async measurePipeline(
    admin: Actor,
    created: ReadonlySet<string>,
    writesStartedAt: number,
    writesEndedAt: number,
  ): Promise<PipelineFigures> {
    // Generous but bounded: at least 50 events/s once the first minute is spent.
    const timeoutMs = 60_000 + 20 * created.size;
    const deadline = Date.now() + timeoutMs;
    // A second early, for coarse clocks; only the tickets written here are counted anyway.
    const from = new Date(writesStartedAt - 1000).toISOString();
    const recorded = new Set<string>();
    const lags: number[] = [];
    let lastRecordedAt = 0;
    let after: string | null = null;

    for (;;) {
      const { auditLog }: AuditPage = await this.api.call<AuditPage>(
        AUDITED_TICKETS,
        { from, after },
        admin.token,
      );
      for (const { node } of auditLog.edges) {
        if (!created.has(node.aggregateId) || recorded.has(node.aggregateId)) continue;
        recorded.add(node.aggregateId);
        const recordedAt = Date.parse(node.recordedAt);
        lags.push(recordedAt - Date.parse(node.occurredAt));
        lastRecordedAt = Math.max(lastRecordedAt, recordedAt);
      }
      after = auditLog.pageInfo.endCursor ?? after;
      if (auditLog.pageInfo.hasNextPage) continue;

      if (recorded.size === created.size) {
        const outboxes = await this.api.call<Outboxes>(OUTBOXES, {}, admin.token);
        if (outboxes.ticketOperations.outbox.pending === 0) break;
      }
      if (Date.now() > deadline) {
        const outboxes = await this.api.call<Outboxes>(OUTBOXES, {}, admin.token);
        const parked = outboxes.auditOperations.deadLetterQueues
          .map(({ queue, messageCount }) => `${queue}: ${messageCount}`)
          .join(', ');
        throw new Error(
          `after ${timeoutMs / 1000} s the audit log holds ${recorded.size} of ${created.size} ` +
            `ticket.created events (ticket outbox: ${outboxes.ticketOperations.outbox.pending} pending, ` +
            `${outboxes.ticketOperations.outbox.failed} failed; audit dead letters: ${parked || 'none'})`,
        );
      }
      await sleep(POLL_INTERVAL_MS, undefined, { signal: this.signal });
    }

    return {
      events: created.size,
      drainMs: Math.max(0, lastRecordedAt - writesEndedAt),
      eventsPerSecond: perSecond(created.size, lastRecordedAt - writesStartedAt),
      lagMs: summarizeLatencies(lags),
    };
  }

  /** Retries `probe` until it returns true, for at most SETTLE_TIMEOUT_MS. */
  private async poll(description: string, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let lastError = '';
    for (;;) {
      try {
        if (await probe()) return;
      } catch (error) {
        if (!(error instanceof GraphQLCallError)) throw error;
        lastError = ` (last error: ${error.message})`;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${SETTLE_TIMEOUT_MS / 1000} s waiting for ${description}${lastError}`,
        );
      }
      await sleep(POLL_INTERVAL_MS, undefined, { signal: this.signal });
    }
  }
}
