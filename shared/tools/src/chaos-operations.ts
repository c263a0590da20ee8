import { randomBytes, randomUUID } from 'node:crypto';
import { waitFor } from '@servicedesk/testing';
import { ROUND_THE_CLOCK, SLOT_MINUTES, TimeSlot, nonOverlapping } from './bench-appointments';
import { Actor, GatewayClient } from './bench-client';
import { POLL_INTERVAL_MS, SETTLE_TIMEOUT_MS } from './bench-poll';
import type { OperationKind } from './chaos-snapshot-types';

/**
 * What the fault-injection workload asks of the platform through the gateway, and the people,
 * tickets and free slots it works with. Each operation carries a text of its own and hands
 * its call to a recorder, which times it and keeps what its answer identifies.
 */

/** Bookings start a day out and stay within the calendar's window. */
const BOOKING_LEAD_MS = 25 * 3_600_000;
const BOOKING_HORIZON_MS = 50 * 86_400_000;

const AUTH = 'accessToken user { id }';
const LOGIN = `mutation ChaosLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) { ${AUTH} } }`;
const REGISTER = `mutation ChaosRegister($input: RegisterInput!) { register(input: $input) { ${AUTH} } }`;
const MAKE_AGENT = `mutation ChaosMakeAgent($id: ID!) { setUserRole(userId: $id, role: AGENT) { id } }`;
const CREATE_TICKET = `mutation ChaosCreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { id } }`;
const ASSIGN_TICKET = `mutation ChaosAssign($ticketId: ID!, $assigneeId: ID!) {
  assignTicket(ticketId: $ticketId, assigneeId: $assigneeId) { id } }`;
const ADD_COMMENT = `mutation ChaosComment($ticketId: ID!, $body: String!) {
  addComment(ticketId: $ticketId, body: $body) { id } }`;
const SET_AVAILABILITY = `mutation ChaosAvailability($input: SetAvailabilityInput!) {
  setAvailability(input: $input) { updatedAt } }`;
const AVAILABLE_SLOTS = `query ChaosSlots($agentId: ID!, $from: DateTime!, $to: DateTime!, $minutes: Int!) {
  availableSlots(agentId: $agentId, from: $from, to: $to, durationMinutes: $minutes) { startsAt endsAt } }`;
const BOOK = `mutation ChaosBook($input: BookAppointmentInput!, $key: String) {
  bookAppointment(input: $input, idempotencyKey: $key) { id } }`;

interface AuthPayload {
  accessToken: string;
  user: { id: string };
}

interface OpenTicket {
  id: string;
  requester: Actor;
  assigned: boolean;
}

/** What an operation's answer identifies, recorded with it. */
export interface Answer {
  id: string;
  ticketId?: string;
  assigneeId?: string;
}

/** Runs one operation's call, bounded, and records it as `kind` carrying `text`. */
export type Recorder = (
  kind: OperationKind,
  text: string,
  call: (api: GatewayClient) => Promise<Answer>,
) => Promise<void>;

export interface OperationsOptions {
  gatewayUrl: string;
  admin: { email: string; password: string };
  signal: AbortSignal;
}

export class WorkloadOperations {
  private readonly tag = randomBytes(3).toString('hex');
  private sequence = 0;
  private readonly customers: Actor[] = [];
  private readonly tickets: OpenTicket[] = [];
  private agent: Actor | null = null;
  private slots: TimeSlot[] = [];

  constructor(
    private readonly options: OperationsOptions,
    private readonly record: Recorder,
  ) {}

  /** Signs the admin in, makes an agent and two customers, once the services accept them. */
  async setUp(): Promise<void> {
    const admin = await this.eventually('the admin to sign in', () =>
      this.login(this.options.admin.email, this.options.admin.password),
    );
    const person = await this.register(this.person('agent'));
    await this.setup().call(MAKE_AGENT, { id: person.id }, admin.token);
    // Signed in again, so the token carries the new role.
    const agent = await this.login(person.email, person.password);
    this.agent = agent;
    for (let n = 0; n < 2; n++) this.customers.push(await this.register(this.person('customer')));
    // The ticket service learns of the agent from an event; until then it refuses to assign.
    const { createTicket } = await this.setup().call<{ createTicket: { id: string } }>(
      CREATE_TICKET,
      { input: this.ticket(this.text('setup ticket')) },
      this.customers[0].token,
    );
    await this.eventually('the ticket service to know the agent', () =>
      this.setup().call(
        ASSIGN_TICKET,
        { ticketId: createTicket.id, assigneeId: agent.id },
        agent.token,
      ),
    );
    this.tickets.push({ id: createTicket.id, requester: this.customers[0], assigned: true });
  }

  /** Opens the agent's calendar around the clock, once the appointment service knows them. */
  async openCalendar(): Promise<void> {
    const agent = this.expectAgent();
    await this.eventually('the appointment service to know the agent', () =>
      this.setup().call(SET_AVAILABILITY, { input: ROUND_THE_CLOCK }, agent.token),
    );
    const from = Date.now() + BOOKING_LEAD_MS;
    const { availableSlots } = await this.setup().call<{ availableSlots: TimeSlot[] }>(
      AVAILABLE_SLOTS,
      {
        agentId: agent.id,
        from: new Date(from).toISOString(),
        to: new Date(from + BOOKING_HORIZON_MS).toISOString(),
        minutes: SLOT_MINUTES,
      },
      this.customers[0].token,
    );
    this.slots = nonOverlapping(availableSlots);
  }

  /** The operations that can run now, by kind. */
  runnable(): Array<[OperationKind, () => Promise<void>]> {
    const runnable: Array<[OperationKind, () => Promise<void>]> = [
      ['register', () => this.registerCustomer()],
      ['createTicket', () => this.createTicket()],
    ];
    if (this.tickets.length > 0) runnable.push(['addComment', () => this.addComment()]);
    if (this.tickets.some((t) => !t.assigned)) {
      runnable.push(['assignTicket', () => this.assignTicket()]);
    }
    if (this.slots.length > 0) runnable.push(['bookAppointment', () => this.book()]);
    return runnable;
  }

  private async registerCustomer(): Promise<void> {
    const person = this.person('customer');
    let customer: Actor | null = null;
    await this.record('register', person.email, async (api) => {
      const { register } = await api.call<{ register: AuthPayload }>(REGISTER, { input: person });
      customer = { ...person, id: register.user.id, token: register.accessToken };
      return { id: register.user.id };
    });
    if (customer) this.customers.push(customer);
  }

  private async createTicket(): Promise<void> {
    const requester = this.pick(this.customers);
    const title = this.text('ticket');
    await this.record('createTicket', title, async (api) => {
      const { createTicket } = await api.call<{ createTicket: { id: string } }>(
        CREATE_TICKET,
        { input: this.ticket(title) },
        requester.token,
      );
      this.tickets.push({ id: createTicket.id, requester, assigned: false });
      return { id: createTicket.id };
    });
  }

  private async addComment(): Promise<void> {
    const ticket = this.pick(this.tickets);
    const author = Math.random() < 0.5 ? ticket.requester : this.expectAgent();
    const body = this.text('comment');
    await this.record('addComment', body, async (api) => {
      const { addComment } = await api.call<{ addComment: { id: string } }>(
        ADD_COMMENT,
        { ticketId: ticket.id, body },
        author.token,
      );
      return { id: addComment.id };
    });
  }

  private async assignTicket(): Promise<void> {
    const ticket = this.pick(this.tickets.filter((t) => !t.assigned));
    const agent = this.expectAgent();
    // Taken at once, so no other client assigns it too.
    ticket.assigned = true;
    await this.record('assignTicket', `assign ${ticket.id}`, async (api) => {
      await api.call(ASSIGN_TICKET, { ticketId: ticket.id, assigneeId: agent.id }, agent.token);
      return { id: ticket.id, ticketId: ticket.id, assigneeId: agent.id };
    });
  }

  private async book(): Promise<void> {
    const slot = this.slots.shift() as TimeSlot;
    const customer = this.pick(this.customers);
    await this.record('bookAppointment', `booking at ${slot.startsAt}`, async (api) => {
      const { bookAppointment } = await api.call<{ bookAppointment: { id: string } }>(
        BOOK,
        {
          input: {
            agentId: this.expectAgent().id,
            startsAt: slot.startsAt,
            durationMinutes: SLOT_MINUTES,
          },
          key: randomUUID(),
        },
        customer.token,
      );
      return { id: bookAppointment.id };
    });
  }

  /** A client for setup calls: unbounded by the request bound, stopped only by the run. */
  private setup(): GatewayClient {
    return new GatewayClient(this.options.gatewayUrl, this.options.signal);
  }

  /** Retries `call` while the services are still starting or learning of each other (bounded). */
  private eventually<T>(description: string, call: () => Promise<T>): Promise<T> {
    return waitFor(
      async () => {
        this.options.signal.throwIfAborted();
        return { result: await call() };
      },
      { description, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: POLL_INTERVAL_MS },
    ).then(({ result }) => result);
  }

  private async login(email: string, password: string): Promise<Actor> {
    const { login } = await this.setup().call<{ login: AuthPayload }>(LOGIN, { email, password });
    return { id: login.user.id, email, password, token: login.accessToken };
  }

  private async register(person: ReturnType<WorkloadOperations['person']>): Promise<Actor> {
    const { register } = await this.setup().call<{ register: AuthPayload }>(REGISTER, {
      input: person,
    });
    return { ...person, id: register.user.id, token: register.accessToken };
  }

  private person(role: string) {
    const text = this.text(role);
    return {
      email: `${text.replace(/ /g, '-')}@example.com`,
      password: `Chaos-pw-${randomUUID()}`,
      name: text,
      timeZone: 'Europe/Paris',
    };
  }

  private ticket(title: string) {
    return { title, description: `Details of ${title}`, priority: 'NORMAL', tags: ['chaos'] };
  }

  /** A text no other operation of any run carries. */
  private text(what: string): string {
    this.sequence += 1;
    return `chaos ${this.tag} ${what} ${this.sequence}`;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(Math.random() * items.length)];
  }

  private expectAgent(): Actor {
    if (!this.agent) throw new Error('the workload was not set up');
    return this.agent;
  }
}
