import { OutboxRow, anIdentity, waitFor } from '@servicedesk/testing';
import { SlaBreachDetector } from '../src/sla/sla-breach.detector';
import { TicketView, addComment, changeStatus, createTicket, getTicket } from './builders';
import { TicketServiceFixture, startTicketService } from './ticket-service.fixture';

const HOUR_MS = 3_600_000;

/** `hours` after the ticket was opened. */
const after = (ticket: TicketView, hours: number) =>
  new Date(Date.parse(ticket.createdAt) + hours * HOUR_MS);

describe('ticket service: SLA breaches', () => {
  let service: TicketServiceFixture;
  let detector: SlaBreachDetector;
  const customer = anIdentity('CUSTOMER');
  const agent = anIdentity('AGENT');

  beforeAll(async () => {
    // A small batch, so that a run needs several claims.
    service = await startTicketService({ SLA_CHECK_BATCH_SIZE: '2' });
    detector = service.app.get(SlaBreachDetector);
  });

  afterAll(() => service?.close());

  const breaches = (ticketId: string): Promise<OutboxRow<'ticket.sla_breached'>[]> =>
    service.outbox(ticketId, 'ticket.sla_breached');
  const targets = async (ticketId: string) =>
    (await breaches(ticketId)).map((row) => row.envelope.payload);

  /** Moves a ticket's due times into the past, as if it had been opened `hours` ago. */
  async function openedHoursAgo(ticketId: string, hours: number): Promise<void> {
    await service.db.query(
      `UPDATE ticket.tickets SET first_response_due_at = first_response_due_at - make_interval(hours => $2),
                                 resolution_due_at = resolution_due_at - make_interval(hours => $2)
       WHERE id = $1`,
      [ticketId, hours],
    );
  }

  /** An agent answers publicly and resolves the ticket right away (both in time). */
  async function answerAndResolve(ticketId: string): Promise<TicketView> {
    await addComment(service, ticketId, agent, 'Fixed.');
    return changeStatus(service, await getTicket(service, ticketId, agent), 'RESOLVED', agent);
  }

  it('flags an unanswered ticket whose first response is overdue and emits ticket.sla_breached', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    const now = after(ticket, 2);

    await detector.detect(now);

    expect(await targets(ticket.id)).toEqual([
      {
        ticketId: ticket.id,
        requesterId: customer.userId,
        assigneeId: null,
        target: 'FIRST_RESPONSE',
        dueAt: ticket.firstResponseDueAt,
        breachedAt: now.toISOString(),
      },
    ]);
    const [row] = await breaches(ticket.id);
    expect(row.envelope).toMatchObject({ actor: null, source: 'ticket', aggregateId: ticket.id });
    expect(await getTicket(service, ticket.id, customer)).toMatchObject({
      slaBreached: true,
      version: 1,
      updatedAt: now.toISOString(),
    });
  });

  it('never moves updatedAt back when a detector run started before the last change', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    await openedHoursAgo(ticket.id, 2);
    const runStartedAt = new Date(Date.parse(ticket.updatedAt) - HOUR_MS / 2);

    await detector.detect(runStartedAt);

    expect((await targets(ticket.id)).map((p) => p.target)).toEqual(['FIRST_RESPONSE']);
    expect(await getTicket(service, ticket.id, customer)).toMatchObject({
      slaBreached: true,
      updatedAt: ticket.updatedAt,
    });
  });

  it('flags the resolution separately once it is overdue too, each target once', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    await detector.detect(after(ticket, 2));
    await detector.detect(after(ticket, 5));
    await detector.detect(after(ticket, 6));

    expect((await targets(ticket.id)).map((p) => p.target)).toEqual([
      'FIRST_RESPONSE',
      'RESOLUTION',
    ]);
  });

  it('emits each breach exactly once when several detectors run at the same time', async () => {
    const tickets: TicketView[] = [];
    for (let i = 0; i < 7; i += 1)
      tickets.push(await createTicket(service, customer, { priority: 'HIGH' }));
    const now = after(tickets[tickets.length - 1], 48);

    const claimed = await Promise.all([1, 2, 3, 4].map(() => detector.detect(now)));

    for (const ticket of tickets) {
      expect((await targets(ticket.id)).map((p) => p.target).sort()).toEqual([
        'FIRST_RESPONSE',
        'RESOLUTION',
      ]);
    }
    const { rows } = await service.db.query<{ count: string }>(
      "SELECT count(*) FROM ticket.outbox WHERE event_type = 'ticket.sla_breached' AND aggregate_id = ANY($1)",
      [tickets.map((t) => t.id)],
    );
    expect(Number(rows[0].count)).toBe(2 * tickets.length);
    expect(claimed.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(2 * tickets.length);
  });

  it('leaves targets met in time alone', async () => {
    const answered = await createTicket(service, customer, { priority: 'URGENT' });
    await addComment(service, answered.id, agent, 'Looking at it now.');
    const resolved = await changeStatus(
      service,
      await createTicket(service, customer, { priority: 'URGENT' }),
      'RESOLVED',
      agent,
    );
    const closed = await changeStatus(
      service,
      await createTicket(service, customer, { priority: 'URGENT' }),
      'CLOSED',
      agent,
    );

    await detector.detect(after(answered, 2));

    expect(await targets(answered.id)).toEqual([]);
    expect(await targets(resolved.id)).toEqual([]);
    expect(await targets(closed.id)).toEqual([]);
    await detector.detect(after(answered, 5));
    expect((await targets(answered.id)).map((p) => p.target)).toEqual(['RESOLUTION']);
    expect(await targets(resolved.id)).toEqual([]);
  });

  it('ignores internal notes and customer comments: only a public support answer stops the first-response clock', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    await addComment(service, ticket.id, customer, 'Still broken.');
    await addComment(service, ticket.id, agent, 'Need to check with networking.', true);

    await detector.detect(after(ticket, 2));

    expect((await targets(ticket.id)).map((p) => p.target)).toEqual(['FIRST_RESPONSE']);
  });

  it('flags a late first response when it is given, before any detector run', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    await openedHoursAgo(ticket.id, 2);

    await addComment(service, ticket.id, agent, 'Sorry for the wait.');

    expect((await targets(ticket.id)).map((p) => p.target)).toEqual(['FIRST_RESPONSE']);
    await detector.detect(new Date());
    expect((await targets(ticket.id)).map((p) => p.target)).toEqual(['FIRST_RESPONSE']);
  });

  it('flags a late resolution in the transaction that resolves the ticket', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    await addComment(service, ticket.id, agent, 'On it.');
    const answered = await getTicket(service, ticket.id, agent);
    await openedHoursAgo(ticket.id, 5);

    const resolved = await changeStatus(service, answered, 'RESOLVED', agent);

    expect(resolved.slaBreached).toBe(true);
    expect(resolved.version).toBe(answered.version + 1);
    expect((await targets(ticket.id)).map((p) => p.target)).toEqual(['RESOLUTION']);
    await changeStatus(service, resolved, 'CLOSED', customer);
    await detector.detect(new Date());
    expect(await breaches(ticket.id)).toHaveLength(1);
  });

  it('does not flag a ticket resolved in time when it is closed after its resolution was due', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    const resolved = await answerAndResolve(ticket.id);
    await openedHoursAgo(ticket.id, 5);

    const closed = await changeStatus(service, resolved, 'CLOSED', customer);
    await detector.detect(new Date());

    expect(closed.slaBreached).toBe(false);
    expect(await targets(ticket.id)).toEqual([]);
    expect(await getTicket(service, ticket.id, customer)).toMatchObject({
      status: 'CLOSED',
      slaBreached: false,
    });
  });

  it('does not flag a first response given in time when the support team answers again after it was due', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    await addComment(service, ticket.id, agent, 'Looking at it now.');
    await openedHoursAgo(ticket.id, 2);

    await addComment(service, ticket.id, agent, 'Here is what we found.');

    expect(await targets(ticket.id)).toEqual([]);
    expect((await getTicket(service, ticket.id, agent)).slaBreached).toBe(false);
  });

  it('flags a ticket reopened after its resolution was due', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    const resolved = await answerAndResolve(ticket.id);
    expect(await targets(ticket.id)).toEqual([]);

    await changeStatus(service, resolved, 'IN_PROGRESS', customer);
    await detector.detect(after(ticket, 5));

    expect((await targets(ticket.id)).map((p) => p.target)).toEqual(['RESOLUTION']);
  });

  // Reopening makes the resolution pending again (see the README): resolving it once in
  // time does not excuse a second resolution after the due time.
  it('flags a reopened ticket resolved again after its resolution was due, once', async () => {
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    const resolved = await answerAndResolve(ticket.id);
    const reopened = await changeStatus(service, resolved, 'IN_PROGRESS', customer);
    await openedHoursAgo(ticket.id, 5);

    const resolvedAgain = await changeStatus(service, reopened, 'RESOLVED', agent);
    await changeStatus(service, resolvedAgain, 'CLOSED', customer);
    await detector.detect(new Date());

    expect(resolvedAgain.slaBreached).toBe(true);
    expect((await targets(ticket.id)).map((p) => p.target)).toEqual(['RESOLUTION']);
  });

  it("keeps resolved and closed tickets out of the detector's indexes", async () => {
    const { rows } = await service.db.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes
       WHERE schemaname = 'ticket' AND indexname = ANY($1) ORDER BY indexname`,
      [['tickets_first_response_pending_idx', 'tickets_resolution_pending_idx']],
    );

    expect(rows.map((row) => row.indexname)).toEqual([
      'tickets_first_response_pending_idx',
      'tickets_resolution_pending_idx',
    ]);
    for (const { indexdef } of rows) {
      // PostgreSQL keeps NOT IN (…) as `<> ALL (ARRAY[…])`.
      expect(indexdef).toMatch(/\(status\)::text <> ALL \(.*'RESOLVED'.*'CLOSED'/);
    }
    expect(rows[0].indexdef).toMatch(/first_responded_at IS NULL/);
    expect(rows[0].indexdef).toMatch(/first_response_breached_at IS NULL/);
    expect(rows[1].indexdef).toMatch(/resolution_breached_at IS NULL/);
  });
});

describe('ticket service: the scheduled SLA breach detector', () => {
  let service: TicketServiceFixture;

  beforeAll(async () => {
    service = await startTicketService({ SLA_CHECK_INTERVAL_MS: '100' });
  });

  afterAll(() => service?.close());

  it('finds overdue tickets on its own', async () => {
    const customer = anIdentity('CUSTOMER');
    const ticket = await createTicket(service, customer, { priority: 'URGENT' });
    await service.db.query(
      `UPDATE ticket.tickets SET first_response_due_at = now() - interval '1 minute' WHERE id = $1`,
      [ticket.id],
    );

    const [row] = await waitFor(
      async () => {
        const rows = await service.outbox(ticket.id, 'ticket.sla_breached');
        return rows.length > 0 && rows;
      },
      { description: 'the scheduled detector to flag the overdue ticket' },
    );
    expect(row.envelope.payload).toMatchObject({ ticketId: ticket.id, target: 'FIRST_RESPONSE' });
  });
});
