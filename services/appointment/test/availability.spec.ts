import { anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import {
  ADD_TIME_OFF,
  GET_AVAILABILITY,
  REMOVE_TIME_OFF,
  SET_AVAILABILITY,
  anAvailabilityInput,
} from './builders';
import { AppointmentServiceFixture, startAppointmentService } from './appointment-service.fixture';

describe('appointment service: availability and time off', () => {
  let service: AppointmentServiceFixture;
  const agent = anIdentity('AGENT');
  const colleague = anIdentity('AGENT');
  const admin = anIdentity('ADMIN');
  const customer = anIdentity('CUSTOMER');

  beforeAll(async () => {
    service = await startAppointmentService();
    await service.registerUsers(agent, colleague, admin, customer);
  });

  afterAll(() => service?.close());

  it('lets an agent set their own calendar and read it back', async () => {
    const input = anAvailabilityInput({
      timeZone: 'Europe/Berlin',
      weeklyHours: [
        { weekday: 1, startTime: '08:00', endTime: '12:00' },
        { weekday: 1, startTime: '13:00', endTime: '17:30' },
      ],
      bufferMinutes: 10,
      minimumNoticeMinutes: 120,
      bookingWindowDays: 30,
    });
    const set = dataOf(await service.query(SET_AVAILABILITY, { input }, agent));
    const expected = {
      agent: { id: agent.userId },
      timeZone: 'Europe/Berlin',
      weeklyHours: input.weeklyHours,
      bufferMinutes: 10,
      minimumNoticeMinutes: 120,
      bookingWindowDays: 30,
      timeOff: [],
      // Written at the service clock's time, which the fixture set to MONDAY.
      updatedAt: expect.stringMatching(/^2031-03-03T/),
    };
    expect(set).toMatchObject({ setAvailability: expected });
    expect(
      dataOf(await service.query(GET_AVAILABILITY, { agentId: agent.userId }, agent)),
    ).toMatchObject({ availability: expected });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown time zone', { timeZone: 'Atlantis/Capital' }, 'input.timeZone'],
    [
      'an end before the start',
      { weeklyHours: [{ weekday: 2, startTime: '12:00', endTime: '09:00' }] },
      'input.weeklyHours.0.endTime',
    ],
    [
      'a weekday outside 1..7',
      { weeklyHours: [{ weekday: 0, startTime: '09:00', endTime: '10:00' }] },
      'input.weeklyHours.0.weekday',
    ],
    [
      'overlapping periods',
      {
        weeklyHours: [
          { weekday: 2, startTime: '09:00', endTime: '12:00' },
          { weekday: 2, startTime: '11:00', endTime: '14:00' },
        ],
      },
      'input.weeklyHours.1',
    ],
    ['a negative buffer', { bufferMinutes: -1 }, 'input.bufferMinutes'],
    ['a zero booking window', { bookingWindowDays: 0 }, 'input.bookingWindowDays'],
  ])('rejects %s as BAD_USER_INPUT and writes nothing', async (_case, overrides, field) => {
    const before = await service.count('availability');
    const response = await service.query(
      SET_AVAILABILITY,
      { input: anAvailabilityInput(overrides) },
      colleague,
    );
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await service.count('availability')).toBe(before);
  });

  it('lets admins set an agent calendar, but not agents another one nor customers any', async () => {
    const forColleague = anAvailabilityInput({ agentId: colleague.userId, bufferMinutes: 5 });
    expect(
      dataOf(await service.query(SET_AVAILABILITY, { input: forColleague }, admin)),
    ).toMatchObject({ setAvailability: { agent: { id: colleague.userId }, bufferMinutes: 5 } });
    expect(
      errorOf(await service.query(SET_AVAILABILITY, { input: forColleague }, agent)).code,
    ).toBe('FORBIDDEN');
    expect(
      errorOf(await service.query(SET_AVAILABILITY, { input: anAvailabilityInput() }, customer))
        .code,
    ).toBe('FORBIDDEN');
  });

  it('refuses a calendar for someone who is not a known agent', async () => {
    const before = await service.count('availability');
    const input = anAvailabilityInput({ agentId: customer.userId });
    expect(errorOf(await service.query(SET_AVAILABILITY, { input }, admin))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.agentId',
    });
    expect(await service.count('availability')).toBe(before);
  });

  it('shows a calendar to its agent and admins only, null when none is set', async () => {
    const stranger = anIdentity('AGENT');
    await service.registerUsers(stranger);
    expect(
      dataOf(await service.query(GET_AVAILABILITY, { agentId: stranger.userId }, stranger)),
    ).toEqual({ availability: null });
    expect(
      dataOf(await service.query(GET_AVAILABILITY, { agentId: agent.userId }, admin)),
    ).toMatchObject({ availability: { agent: { id: agent.userId } } });
    for (const viewer of [customer, colleague]) {
      expect(
        errorOf(await service.query(GET_AVAILABILITY, { agentId: agent.userId }, viewer)).code,
      ).toBe('FORBIDDEN');
    }
  });

  describe('time off', () => {
    const startsAt = '2031-03-05T09:00:00.000Z';
    const endsAt = '2031-03-05T13:00:00.000Z';

    it('is added to and removed from the agent calendar', async () => {
      const added = dataOf(
        await service.query<{ addTimeOff: { id: string } }>(
          ADD_TIME_OFF,
          { input: { startsAt, endsAt, reason: ' dentist ' } },
          agent,
        ),
      ).addTimeOff;
      expect(added).toMatchObject({
        startsAt,
        endsAt,
        reason: 'dentist',
        agent: { id: agent.userId },
      });
      const calendar = async () =>
        dataOf(
          await service.query<{ availability: { timeOff: Array<{ id: string }> } }>(
            GET_AVAILABILITY,
            { agentId: agent.userId },
            agent,
          ),
        ).availability.timeOff.map((t) => t.id);
      expect(await calendar()).toEqual([added.id]);

      expect(errorOf(await service.query(REMOVE_TIME_OFF, { id: added.id }, colleague)).code).toBe(
        'NOT_FOUND',
      );
      expect(dataOf(await service.query(REMOVE_TIME_OFF, { id: added.id }, agent))).toEqual({
        removeTimeOff: { id: added.id },
      });
      expect(await calendar()).toEqual([]);
    });

    it('rejects time off ending before it starts and writes nothing', async () => {
      const before = await service.count('time_off');
      const response = await service.query(
        ADD_TIME_OFF,
        { input: { startsAt: endsAt, endsAt: startsAt } },
        agent,
      );
      expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.endsAt' });
      expect(await service.count('time_off')).toBe(before);
    });

    it('is for agents and admins only', async () => {
      const response = await service.query(ADD_TIME_OFF, { input: { startsAt, endsAt } }, customer);
      expect(errorOf(response).code).toBe('FORBIDDEN');
    });
  });
});
