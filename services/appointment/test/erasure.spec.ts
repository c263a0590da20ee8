import { anEvent, anIdentity, dataOf, errorOf, waitFor } from '@servicedesk/testing';
import {
  ADD_TIME_OFF,
  AppointmentView,
  BOOK,
  CANCEL,
  COMPLETE,
  GET_APPOINTMENT,
  book,
  setAvailability,
} from './builders';
import {
  AppointmentServiceFixture,
  MONDAY,
  startAppointmentService,
} from './appointment-service.fixture';

describe('appointment service: erasure of a participant', () => {
  let service: AppointmentServiceFixture;
  const admin = anIdentity('ADMIN');

  beforeAll(async () => {
    service = await startAppointmentService();
    await service.registerUsers(admin);
  });

  afterEach(() => service.clock.travelTo(MONDAY));
  afterAll(() => service?.close());

  const get = async (id: string) =>
    dataOf(await service.query<{ appointment: AppointmentView }>(GET_APPOINTMENT, { id }, admin))
      .appointment;

  const unsentReminders = async (appointmentId: string) =>
    (
      await service.db.query(
        'SELECT 1 FROM appointment.reminders WHERE appointment_id = $1 AND emitted_at IS NULL',
        [appointmentId],
      )
    ).rowCount;

  /** Connections of this test database waiting for a lock another transaction holds. */
  const lockWaiters = async () => {
    const { rows } = await service.db.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return rows[0].waiting;
  };
  const waitForLockWaiters = (count: number, description: string) =>
    waitFor(async () => (await lockWaiters()) >= count, { description });

  async function erase(userId: string): Promise<void> {
    const erased = await service.publish(
      anEvent('user.erased', { aggregateId: userId, actor: null }),
    );
    await service.waitForProcessed(erased.id);
  }

  it('cancels a customer’s upcoming appointments, clears their texts and keeps them erased', async () => {
    const customer = anIdentity('CUSTOMER');
    const agent = anIdentity('AGENT');
    await service.registerUsers(customer, agent);
    await setAvailability(service, agent);
    const concluded = await book(service, customer, {
      agentId: agent.userId,
      startsAt: '2031-03-03T09:00:00.000Z',
      notes: 'my home address is …',
    });
    service.clock.travelTo(new Date('2031-03-03T09:30:00.000Z'));
    dataOf(await service.query(COMPLETE, { id: concluded.id }, agent));
    service.clock.travelTo(MONDAY);
    const withdrawn = await book(service, customer, {
      agentId: agent.userId,
      startsAt: '2031-03-05T09:00:00.000Z',
    });
    dataOf(await service.query(CANCEL, { id: withdrawn.id, reason: 'my child is ill' }, customer));
    const upcoming = await book(service, customer, {
      agentId: agent.userId,
      startsAt: '2031-03-06T09:00:00.000Z',
      notes: 'call me on my mobile',
    });

    await erase(customer.userId);
    await service.waitForKnownRole(customer.userId, 'ERASED');

    expect(await get(upcoming.id)).toMatchObject({
      status: 'CANCELLED',
      notes: null,
      cancellationReason: "participant's account was erased",
      version: 2,
    });
    const [cancelled] = await service.outbox(upcoming.id, 'appointment.cancelled');
    expect(cancelled.envelope).toMatchObject({
      actor: null,
      payload: {
        appointmentId: upcoming.id,
        customerId: customer.userId,
        agentId: agent.userId,
        reason: "participant's account was erased",
      },
    });
    expect(await get(concluded.id)).toMatchObject({ status: 'COMPLETED', notes: null });
    expect(await get(withdrawn.id)).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: null,
    });
    const { rows } = await service.db.query(
      'SELECT 1 FROM appointment.reminders WHERE appointment_id = $1 AND emitted_at IS NULL',
      [upcoming.id],
    );
    expect(rows).toEqual([]);

    // Nobody can be booked for an erased person, and a late registration does not revive them.
    const late = await service.publish(
      anEvent('user.registered', { aggregateId: customer.userId, occurredAt: new Date() }),
    );
    await service.waitForProcessed(late.id);
    const attempt = await service.query(
      BOOK,
      {
        input: {
          agentId: agent.userId,
          customerId: customer.userId,
          startsAt: '2031-03-07T09:00:00.000Z',
          durationMinutes: 30,
        },
      },
      agent,
    );
    expect(errorOf(attempt)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.customerId' });
  });

  it('finds and cancels a booking that was still being written when the erasure arrived', async () => {
    const customer = anIdentity('CUSTOMER');
    const agent = anIdentity('AGENT');
    await service.registerUsers(customer, agent);
    await setAvailability(service, agent);
    const startsAt = '2031-03-06T14:00:00.000Z';
    // An overlapping appointment the test's own transaction holds uncommitted: the booking
    // passes its checks, then waits at the exclusion constraint with its transaction open.
    const blocker = await service.connectDatabase();
    await blocker.query('BEGIN');
    try {
      await blocker.query(
        `INSERT INTO appointment.appointments (id, agent_id, customer_id, starts_at, ends_at,
           blocked, status, version, created_at, updated_at)
         VALUES (gen_random_uuid(), $1, gen_random_uuid(), $2, $2::timestamptz + interval '30 minutes',
           tstzrange($2, $2::timestamptz + interval '30 minutes'), 'CONFIRMED', 1, now(), now())`,
        [agent.userId, startsAt],
      );
      const booking = service.query<{ bookAppointment: AppointmentView }>(
        BOOK,
        {
          input: {
            agentId: agent.userId,
            startsAt,
            durationMinutes: 30,
            notes: 'call me on my mobile',
          },
        },
        customer,
      );
      await waitForLockWaiters(1, 'the booking to wait for the overlapping appointment');
      const erased = await service.publish(
        anEvent('user.erased', { aggregateId: customer.userId, actor: null }),
      );
      // The erasure waits for the booking, whose directory entries are held until it commits.
      await waitFor(
        async () => (await lockWaiters()) >= 2 || (await service.isProcessed(erased.id)),
        {
          description: 'the erasure to be handled or to wait for the booking',
        },
      );
      await blocker.query('ROLLBACK');
      const booked = dataOf(await booking).bookAppointment;
      await service.waitForProcessed(erased.id);

      expect(await get(booked.id)).toMatchObject({
        status: 'CANCELLED',
        notes: null,
        cancellationReason: "participant's account was erased",
      });
    } finally {
      await blocker.query('ROLLBACK');
    }
  });

  it('drops the unsent reminders of a started appointment nobody concluded', async () => {
    const customer = anIdentity('CUSTOMER');
    const agent = anIdentity('AGENT');
    await service.registerUsers(customer, agent);
    await setAvailability(service, agent);
    const started = await book(service, customer, {
      agentId: agent.userId,
      startsAt: '2031-03-03T09:00:00.000Z',
    });
    service.clock.travelTo(new Date('2031-03-03T09:10:00.000Z'));
    expect(await unsentReminders(started.id)).toBe(1);

    await erase(customer.userId);

    expect(await get(started.id)).toMatchObject({ status: 'CONFIRMED' });
    expect(await unsentReminders(started.id)).toBe(0);
  });

  it('changes nothing more when the erasure is handled again', async () => {
    const customer = anIdentity('CUSTOMER');
    const agent = anIdentity('AGENT');
    await service.registerUsers(customer, agent);
    await setAvailability(service, agent);
    const upcoming = await book(service, customer, {
      agentId: agent.userId,
      startsAt: '2031-03-06T10:00:00.000Z',
    });
    await erase(customer.userId);
    const once = await get(upcoming.id);
    await erase(customer.userId);
    expect(await get(upcoming.id)).toEqual(once);
  });

  it('cancels an erased agent’s upcoming appointments and deletes their calendar', async () => {
    const customer = anIdentity('CUSTOMER');
    const agent = anIdentity('AGENT');
    await service.registerUsers(customer, agent);
    await setAvailability(service, agent);
    dataOf(
      await service.query(
        ADD_TIME_OFF,
        {
          input: {
            startsAt: '2031-03-10T00:00:00.000Z',
            endsAt: '2031-03-11T00:00:00.000Z',
            reason: 'surgery',
          },
        },
        agent,
      ),
    );
    const upcoming = await book(service, customer, {
      agentId: agent.userId,
      startsAt: '2031-03-06T11:00:00.000Z',
    });

    await erase(agent.userId);

    expect(await get(upcoming.id)).toMatchObject({ status: 'CANCELLED' });
    for (const table of ['availability', 'time_off']) {
      const { rows } = await service.db.query(
        `SELECT 1 FROM appointment.${table} WHERE agent_id = $1`,
        [agent.userId],
      );
      expect(rows).toEqual([]);
    }
  });
});
