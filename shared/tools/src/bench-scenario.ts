import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppointmentPhases } from './bench-appointments';
import { Actor, GatewayClient } from './bench-client';
import { runLoad } from './bench-load';
import { CaughtMail, EmailPipelineFigures, emailPipelineFigures, MailSink } from './bench-mail';
import { POLL_INTERVAL_MS, pollUntil } from './bench-poll';
import {
  LatencySummary,
  PhaseFigures,
  perSecond,
  phaseFigures,
  summarizeLatencies,
} from './bench-stats';

/**
 * What the benchmark does through the gateway, and only through it: sets the scene (an
 * admin, customers, agents with open calendars, a page of tickets worth reading), then
 * measures each path. Emails are counted where they arrive: the run's own SMTP server.
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
/** Agents whose calendars the appointment phases read and book (the first also holds tickets). */
const AGENTS = 3;
const WRITTEN_TICKET = /^We received your ticket "(.*)"$/s;
const BOOKING_MAIL = 'Appointment booked for ';

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
const NOTIFICATION_BACKLOG = `query BenchNotificationBacklog {
  notificationOperations { outbox { pending failed } deadLetterQueues { queue messageCount } } }`;
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

interface NotificationBacklog {
  notificationOperations: {
    outbox: { pending: number; failed: number };
    deadLetterQueues: Array<{ queue: string; messageCount: number }>;
  };
}

interface TicketsPage {
  tickets: {
    edges: Array<{ node: { assignee: { name: string } | null; comments: unknown[] } }>;
  };
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
  slots: PhaseFigures;
  book: PhaseFigures;
  /** The emails of the write phase (`tickets`) and of the book phase (`bookings`), if any. */
  notify: EmailPipelineFigures[];
  login: PhaseFigures;
}

export interface ScenarioOptions {
  api: GatewayClient;
  signal: AbortSignal;
  say(line: string): void;
  admin: { email: string; password: string };
  durationSeconds: number;
  concurrency: number;
  /** The SMTP server the notification service sends to. */
  mail: MailSink;
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

function aTicket(title: string) {
  return {
    title,
    description: 'The printer on the second floor prints blank pages since this morning.',
    priority: 'NORMAL',
    tags: ['bench'],
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

    say('setting up: admin, customers, agents, their calendars and a page of tickets');
    const admin = await this.login(this.options.admin.email, this.options.admin.password);
    const customers = await forEachLimited(
      Array.from({ length: concurrency }, () => aPerson('customer')),
      SETUP_PARALLELISM,
      (person) => this.register(person),
    );
    const agents = await forEachLimited(
      Array.from({ length: AGENTS }, (_, n) => n),
      SETUP_PARALLELISM,
      () => this.registerAgent(admin),
    );
    const [agent] = agents;
    const appointments = new AppointmentPhases({
      api: this.api,
      signal: this.signal,
      customers,
      agents,
      clients: concurrency,
      durationMs,
    });
    await this.seedTickets(customers, agent);
    await appointments.openCalendars();
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
    const read = phaseFigures(
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
    /** When each written ticket's createTicket answered, by title (its email names it). */
    const answeredAt = new Map<string, number>();
    let written = 0;
    const writesStartedAt = Date.now();
    const writeResult = await runLoad({
      clients: concurrency,
      durationMs,
      maxOperations: MAX_WRITES,
      signal: this.signal,
      operation: async (client) => {
        const title = `Benchmark write ${++written}`;
        const { createTicket } = await this.api.call<{ createTicket: { id: string } }>(
          CREATE_TICKET,
          { input: aTicket(title) },
          customers[client].token,
        );
        created.add(createTicket.id);
        answeredAt.set(title, Date.now());
      },
    });
    const writesEndedAt = Date.now();
    const write = phaseFigures(concurrency, writeResult);

    say(`pipeline: waiting until the audit log holds all ${created.size} ticket.created events`);
    const pipeline =
      created.size === 0
        ? null
        : await this.measurePipeline(admin, created, writesStartedAt, writesEndedAt);

    const notify: EmailPipelineFigures[] = [];
    say(`notify: waiting until the SMTP server has received all ${created.size} ticket emails`);
    const writtenTitle = (mail: CaughtMail) => WRITTEN_TICKET.exec(mail.subject)?.[1];
    if (created.size > 0) {
      const mails = await this.awaitEmails(admin, 'ticket', created.size, (mail) =>
        answeredAt.has(writtenTitle(mail) ?? ''),
      );
      notify.push(
        emailPipelineFigures(
          'tickets',
          mails,
          { startedAt: writesStartedAt, endedAt: writesEndedAt },
          (mail) => answeredAt.get(writtenTitle(mail) ?? ''),
        ),
      );
    }

    say(`slots: availableSlots over 7 days by ${concurrency} customers, ${durationSeconds} s`);
    await appointments.measureSlots(Math.min(READ_WARM_UP_MS, durationMs));
    const slots = await appointments.measureSlots(durationMs);

    say(
      `book: bookAppointment by ${concurrency} customers in ${AGENTS} calendars, ${durationSeconds} s`,
    );
    const booking = await appointments.measureBookings();
    say(
      `notify: waiting until the SMTP server has received all ${2 * booking.booked} booking emails`,
    );
    if (booking.booked > 0) {
      // Each booking is emailed to its customer and to its agent.
      const mails = await this.awaitEmails(admin, 'booking', 2 * booking.booked, (mail) =>
        mail.subject.startsWith(BOOKING_MAIL),
      );
      notify.push(emailPipelineFigures('bookings', mails, booking));
    }

    const loginClients = Math.min(LOGIN_CLIENTS, concurrency);
    const loginSeconds = Math.min(LOGIN_MAX_SECONDS, durationSeconds);
    say(`login: ${loginClients} clients, ${loginSeconds} s`);
    const login = phaseFigures(
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

    return { read, write, pipeline, slots, book: booking.figures, notify, login };
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
          { input: aTicket(`Benchmark ticket ${n + 1}`) },
          requester.token,
        );
        return { id: createTicket.id, requester };
      },
    );
    // The ticket service learns about the new agent from an event: until then it refuses the assignment.
    await pollUntil(
      'the ticket service to accept the agent as an assignee',
      async () => {
        await this.api.call(
          ASSIGN_TICKET,
          { ticketId: tickets[0].id, assigneeId: agent.id },
          agent.token,
        );
        return true;
      },
      this.signal,
    );
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
    await pollUntil(
      'the setup events to leave the outboxes',
      async () => {
        const outboxes = await this.api.call<Outboxes>(OUTBOXES, {}, admin.token);
        return (
          outboxes.userOperations.outbox.pending === 0 &&
          outboxes.ticketOperations.outbox.pending === 0
        );
      },
      this.signal,
    );
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

  /**
   * The `expected` mails `caused` picks out, once the SMTP server has received them all.
   * Bounded like the event pipeline: at least 50 emails/s once the first minute is spent.
   */
  private async awaitEmails(
    admin: Actor,
    kind: string,
    expected: number,
    caused: (mail: CaughtMail) => boolean,
  ): Promise<CaughtMail[]> {
    const timeoutMs = 60_000 + 20 * expected;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mails = this.options.mail.mails.filter(caused);
      if (mails.length >= expected) return mails;
      if (Date.now() > deadline) {
        const { notificationOperations: backlog } = await this.api.call<NotificationBacklog>(
          NOTIFICATION_BACKLOG,
          {},
          admin.token,
        );
        const parked = backlog.deadLetterQueues
          .map(({ queue, messageCount }) => `${queue}: ${messageCount}`)
          .join(', ');
        throw new Error(
          `after ${timeoutMs / 1000} s the SMTP server has received ${mails.length} of ${expected} ` +
            `${kind} emails (notification outbox: ${backlog.outbox.pending} pending, ` +
            `${backlog.outbox.failed} failed; notification dead letters: ${parked || 'none'})`,
        );
      }
      await sleep(POLL_INTERVAL_MS, undefined, { signal: this.signal });
    }
  }
}
