import { Identity } from '@servicedesk/platform';
import { actorOf, anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import { ADD_TIME_OFF, AppointmentView, BOOK, book, setAvailability } from './builders';
import { AppointmentServiceFixture, startAppointmentService } from './appointment-service.fixture';

describe('appointment service: booking', () => {
  let service: AppointmentServiceFixture;
  const customer = anIdentity('CUSTOMER');
  const otherCustomer = anIdentity('CUSTOMER');
  const admin = anIdentity('ADMIN');
  let agent: Identity;

  beforeAll(async () => {
    service = await startAppointmentService();
    await service.registerUsers(customer, otherCustomer, admin);
  });

  beforeEach(async () => {
    agent = anIdentity('AGENT');
    await service.registerUsers(agent);
    await setAvailability(service, agent, { minimumNoticeMinutes: 240, bookingWindowDays: 14 });
  });

  afterAll(() => service?.close());

  const tryBook = (actor: Identity, input: Record<string, unknown>, idempotencyKey?: string) =>
    service.query<{ bookAppointment: AppointmentView }>(
      BOOK,
      { input: { agentId: agent.userId, durationMinutes: 30, ...input }, idempotencyKey },
      actor,
    );

  it('lets a customer book a free slot for themself and emits appointment.booked', async () => {
    const booked = await book(service, customer, {
      agentId: agent.userId,
      startsAt: '2031-03-04T10:00:00.000Z',
      durationMinutes: 45,
      notes: 'Laptop will not boot',
    });
    expect(booked).toMatchObject({
      status: 'CONFIRMED',
      startsAt: '2031-03-04T10:00:00.000Z',
      endsAt: '2031-03-04T10:45:00.000Z',
      notes: 'Laptop will not boot',
      agent: { id: agent.userId },
      customer: { id: customer.userId },
      ticket: null,
      version: 1,
    });
    const [event] = await service.outbox(booked.id, 'appointment.booked');
    expect(event.envelope).toMatchObject({
      actor: actorOf(customer),
      source: 'appointment',
      payload: {
        appointmentId: booked.id,
        agentId: agent.userId,
        customerId: customer.userId,
        ticketId: null,
        startsAt: booked.startsAt,
        endsAt: booked.endsAt,
      },
    });
  });

  it('lets an agent book into their calendar for a customer, about the customer’s ticket', async () => {
    const ticketId = await service.registerTicket(customer);
    const booked = await book(service, agent, {
      agentId: agent.userId,
      startsAt: '2031-03-04T11:00:00.000Z',
      customerId: customer.userId,
      ticketId,
    });
    expect(booked).toMatchObject({ customer: { id: customer.userId }, ticket: { id: ticketId } });
    const [event] = await service.outbox(booked.id, 'appointment.booked');
    expect(event.envelope.payload.ticketId).toBe(ticketId);
  });

  it('lets an admin book any agent for a customer', async () => {
    const booked = await book(service, admin, {
      agentId: agent.userId,
      startsAt: '2031-03-04T12:00:00.000Z',
      customerId: otherCustomer.userId,
    });
    expect(booked.customer.id).toBe(otherCustomer.userId);
  });

  describe('who books for whom', () => {
    const startsAt = '2031-03-04T13:00:00.000Z';

    it('requires staff to name the customer', async () => {
      expect(errorOf(await tryBook(agent, { startsAt }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.customerId',
      });
    });

    it('refuses an agent as their own customer', async () => {
      const before = await service.count('appointments');
      expect(errorOf(await tryBook(agent, { startsAt, customerId: agent.userId }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.customerId',
      });
      expect(await service.count('appointments')).toBe(before);
    });

    it('forbids customers to book for someone else and agents to book a colleague', async () => {
      expect(
        errorOf(await tryBook(customer, { startsAt, customerId: otherCustomer.userId })).code,
      ).toBe('FORBIDDEN');
      const colleague = anIdentity('AGENT');
      await service.registerUsers(colleague);
      expect(
        errorOf(await tryBook(colleague, { startsAt, customerId: customer.userId })).code,
      ).toBe('FORBIDDEN');
    });

    it('refuses an unknown customer, a ticket of someone else and an unknown agent', async () => {
      expect(
        errorOf(await tryBook(admin, { startsAt, customerId: anIdentity('CUSTOMER').userId })),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.customerId' });
      const othersTicket = await service.registerTicket(otherCustomer);
      expect(errorOf(await tryBook(customer, { startsAt, ticketId: othersTicket }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.ticketId',
      });
      expect(
        errorOf(await tryBook(customer, { startsAt, agentId: otherCustomer.userId })),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.agentId' });
    });
  });

  describe('a start availableSlots would not offer', () => {
    it.each([
      [
        'outside the working hours',
        '2031-03-04T08:00:00.000Z',
        /outside the agent's working hours/,
      ],
      ['off the slot grid', '2031-03-04T10:05:00.000Z', /15-minute slot grid/],
      ['within the minimum notice', '2031-03-03T09:00:00.000Z', /too soon/],
      [
        'beyond the booking window',
        '2031-03-20T10:00:00.000Z',
        /beyond the agent's booking window/,
      ],
      ['on a weekend', '2031-03-08T10:00:00.000Z', /outside the agent's working hours/],
    ])('rejects a start %s with BAD_USER_INPUT saying why', async (_case, startsAt, reason) => {
      const before = await service.count('appointments');
      const error = errorOf(await tryBook(customer, { startsAt }));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.startsAt' });
      expect(error.message).toMatch(reason);
      expect(await service.count('appointments')).toBe(before);
    });

    it('rejects a start in time off', async () => {
      dataOf(
        await service.query(
          ADD_TIME_OFF,
          { input: { startsAt: '2031-03-05T00:00:00.000Z', endsAt: '2031-03-06T00:00:00.000Z' } },
          agent,
        ),
      );
      const error = errorOf(await tryBook(customer, { startsAt: '2031-03-05T10:00:00.000Z' }));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.startsAt' });
      expect(error.message).toMatch(/time off/);
    });

    it('answers CONFLICT for a slot another appointment holds', async () => {
      const startsAt = '2031-03-04T14:00:00.000Z';
      await book(service, otherCustomer, { agentId: agent.userId, startsAt });
      const error = errorOf(await tryBook(customer, { startsAt: '2031-03-04T14:15:00.000Z' }));
      expect(error.code).toBe('CONFLICT');
      expect(error.message).toMatch(/no longer free at 2031-03-04T14:15:00.000Z/);
    });
  });

  it('books exactly one of twenty concurrent overlapping requests; the others are CONFLICT', async () => {
    const customers = Array.from({ length: 20 }, () => anIdentity('CUSTOMER'));
    const starts = [
      '2031-03-06T10:00:00.000Z',
      '2031-03-06T10:15:00.000Z',
      '2031-03-06T10:30:00.000Z',
    ];
    const responses = await Promise.all(
      customers.map((c, i) => tryBook(c, { startsAt: starts[i % 3], durationMinutes: 60 })),
    );
    const booked = responses.filter((r) => !r.errors?.length);
    expect(booked).toHaveLength(1);
    const codes = responses.filter((r) => r.errors?.length).map((r) => errorOf(r).code);
    expect(codes).toEqual(Array(19).fill('CONFLICT'));
    const { rows } = await service.db.query(
      "SELECT id FROM appointment.appointments WHERE agent_id = $1 AND status = 'CONFIRMED'",
      [agent.userId],
    );
    expect(rows).toHaveLength(1);
  });

  describe('the buffer between concurrent bookings', () => {
    const withBuffer = () =>
      setAvailability(service, agent, {
        bufferMinutes: 30,
        minimumNoticeMinutes: 240,
        bookingWindowDays: 14,
      });
    const days = ['2031-03-05', '2031-03-06', '2031-03-07', '2031-03-10', '2031-03-11'];

    // Whichever request is checked first, the other is refused: by the slot check if it sees
    // the first one committed, by the exclusion constraint if both checked before either wrote.
    it.each([
      ['after', 'T10:45:00.000Z'],
      ['before', 'T09:15:00.000Z'],
    ])(
      'books only one of 10:00–10:30 and a neighbour within the buffer %s it',
      async (_side, neighbourTime) => {
        await withBuffer();
        for (const day of days) {
          const responses = await Promise.all([
            tryBook(customer, { startsAt: `${day}T10:00:00.000Z` }),
            tryBook(otherCustomer, { startsAt: `${day}${neighbourTime}` }),
          ]);
          const failures = responses.filter((r) => r.errors?.length).map((r) => errorOf(r).code);
          expect(failures).toEqual(['CONFLICT']);
        }
      },
    );

    it('books concurrent appointments exactly the buffer apart', async () => {
      await withBuffer();
      const responses = await Promise.all(
        ['09:00', '10:00', '11:00'].map((time) =>
          tryBook(anIdentity('CUSTOMER'), { startsAt: `2031-03-12T${time}:00.000Z` }),
        ),
      );
      expect(responses.map((r) => dataOf(r).bookAppointment.status)).toEqual([
        'CONFIRMED',
        'CONFIRMED',
        'CONFIRMED',
      ]);
    });
  });

  describe('idempotency keys', () => {
    const startsAt = '2031-03-07T09:00:00.000Z';

    it('returns the first booking on a repeat, even though its slot is now taken by it', async () => {
      const first = dataOf(await tryBook(customer, { startsAt }, 'key-1')).bookAppointment;
      const repeat = dataOf(await tryBook(customer, { startsAt }, 'key-1')).bookAppointment;
      expect(repeat).toEqual(first);
      expect(await service.outbox(first.id, 'appointment.booked')).toHaveLength(1);
    });

    it('answers concurrent repeats with the one booking', async () => {
      const responses = await Promise.all(
        [1, 2, 3, 4, 5].map(() =>
          tryBook(customer, { startsAt: '2031-03-07T11:00:00.000Z' }, 'key-2'),
        ),
      );
      const ids = new Set(responses.map((r) => dataOf(r).bookAppointment.id));
      expect(ids.size).toBe(1);
    });

    it('refuses the same key for a different booking with CONFLICT', async () => {
      dataOf(await tryBook(customer, { startsAt: '2031-03-07T13:00:00.000Z' }, 'key-3'));
      const other = await tryBook(customer, { startsAt: '2031-03-07T14:00:00.000Z' }, 'key-3');
      expect(errorOf(other)).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
      expect(errorOf(other).message).toMatch(/idempotencyKey/);
    });

    it('keeps keys per caller', async () => {
      const mine = dataOf(
        await tryBook(customer, { startsAt: '2031-03-07T15:00:00.000Z' }, 'key-4'),
      );
      const theirs = dataOf(
        await tryBook(otherCustomer, { startsAt: '2031-03-07T16:00:00.000Z' }, 'key-4'),
      );
      expect(theirs.bookAppointment.id).not.toBe(mine.bookAppointment.id);
    });
  });
});
