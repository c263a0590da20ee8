import { Identity } from '@servicedesk/platform';
import { anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import { ADD_TIME_OFF, AVAILABLE_SLOTS, BOOK, book, setAvailability, slotStarts } from './builders';
import { AppointmentServiceFixture, startAppointmentService } from './appointment-service.fixture';

/** Slots through the API; the calculator's DST cases are unit-tested beside it. */
describe('appointment service: availableSlots', () => {
  let service: AppointmentServiceFixture;
  const customer = anIdentity('CUSTOMER');
  const monday = { from: '2031-03-03T00:00:00.000Z', to: '2031-03-04T00:00:00.000Z' };

  beforeAll(async () => {
    service = await startAppointmentService();
    await service.registerUsers(customer);
  });

  afterAll(() => service?.close());

  async function anAgent(availability: Record<string, unknown> = {}): Promise<Identity> {
    const agent = anIdentity('AGENT');
    await service.registerUsers(agent);
    await setAvailability(service, agent, availability);
    return agent;
  }

  const mondaySlots = (agent: Identity, durationMinutes = 30) =>
    slotStarts(service, customer, { agentId: agent.userId, ...monday, durationMinutes });

  it('offers the working hours on the 15-minute grid where the whole slot fits', async () => {
    const agent = await anAgent();
    const slots = await mondaySlots(agent, 60);
    expect(slots[0]).toBe('2031-03-03T09:00:00.000Z');
    expect(slots[1]).toBe('2031-03-03T09:15:00.000Z');
    expect(slots.at(-1)).toBe('2031-03-03T16:00:00.000Z');
    expect(slots).toHaveLength(29);
  });

  it('keeps the buffer free around an existing appointment', async () => {
    const agent = await anAgent({ bufferMinutes: 30 });
    await book(service, customer, { agentId: agent.userId, startsAt: '2031-03-03T10:00:00.000Z' });
    const slots = await mondaySlots(agent);
    expect(slots.slice(0, 2)).toEqual(['2031-03-03T09:00:00.000Z', '2031-03-03T11:00:00.000Z']);
  });

  it('keeps a raised buffer after an appointment booked under a smaller one', async () => {
    const agent = await anAgent({ bufferMinutes: 0 });
    await book(service, customer, { agentId: agent.userId, startsAt: '2031-03-03T10:00:00.000Z' });
    await setAvailability(service, agent, { bufferMinutes: 30 });
    // 10:00–10:30 with 30 minutes on either side: nothing from 09:15 to 10:45 is offered.
    expect((await mondaySlots(agent)).slice(0, 2)).toEqual([
      '2031-03-03T09:00:00.000Z',
      '2031-03-03T11:00:00.000Z',
    ]);
    const tooClose = await service.query(
      BOOK,
      {
        input: { agentId: agent.userId, startsAt: '2031-03-03T10:30:00.000Z', durationMinutes: 30 },
      },
      customer,
    );
    expect(errorOf(tooClose).code).toBe('CONFLICT');
  });

  it('leaves out slots within the minimum notice', async () => {
    // The clock reads just after 06:00: 3 h 55 min of notice leave 10:00 as the first start.
    const agent = await anAgent({ minimumNoticeMinutes: 235 });
    expect((await mondaySlots(agent))[0]).toBe('2031-03-03T10:00:00.000Z');
  });

  it('offers nothing beyond the booking window', async () => {
    const agent = await anAgent({ bookingWindowDays: 1 });
    const tuesdayOn = await slotStarts(service, customer, {
      agentId: agent.userId,
      from: '2031-03-03T00:00:00.000Z',
      to: '2031-03-08T00:00:00.000Z',
    });
    expect(tuesdayOn.every((start) => start.startsWith('2031-03-03'))).toBe(true);
    // 09:00 to 16:30 every 15 minutes.
    expect(tuesdayOn).toHaveLength(31);
  });

  it('leaves out time off', async () => {
    const agent = await anAgent();
    dataOf(
      await service.query(
        ADD_TIME_OFF,
        { input: { startsAt: '2031-03-03T09:00:00.000Z', endsAt: '2031-03-03T16:00:00.000Z' } },
        agent,
      ),
    );
    expect(await mondaySlots(agent)).toEqual([
      '2031-03-03T16:00:00.000Z',
      '2031-03-03T16:15:00.000Z',
      '2031-03-03T16:30:00.000Z',
    ]);
  });

  it('is empty for an agent without a calendar', async () => {
    const agent = anIdentity('AGENT');
    await service.registerUsers(agent);
    expect(await mondaySlots(agent)).toEqual([]);
  });

  it.each([
    ['to before from', { to: '2031-03-02T00:00:00.000Z' }, 'to'],
    ['a range over 62 days', { to: '2031-05-05T00:00:00.000Z' }, 'to'],
    ['a duration off the 5-minute grid', { durationMinutes: 7 }, 'durationMinutes'],
    ['a duration over 8 hours', { durationMinutes: 485 }, 'durationMinutes'],
  ])('rejects %s as BAD_USER_INPUT on %s', async (_case, overrides, field) => {
    const agent = await anAgent();
    const response = await service.query(
      AVAILABLE_SLOTS,
      { agentId: agent.userId, ...monday, durationMinutes: 30, ...overrides },
      customer,
    );
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('rejects someone who is not an agent', async () => {
    const response = await service.query(
      AVAILABLE_SLOTS,
      { agentId: customer.userId, ...monday, durationMinutes: 30 },
      customer,
    );
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'agentId' });
  });

  it('requires a signed-in caller', async () => {
    const agent = await anAgent();
    const response = await service.query(AVAILABLE_SLOTS, {
      agentId: agent.userId,
      ...monday,
      durationMinutes: 30,
    });
    expect(errorOf(response).code).toBe('UNAUTHENTICATED');
  });
});
