import { AgentSchedule, Interval, availableSlots, slotRejection } from './slot-calculator';

const at = (iso: string) => new Date(iso);
const interval = (start: string, end: string): Interval => ({ start: at(start), end: at(end) });
const starts = (slots: Interval[]) => slots.map((slot) => slot.start.toISOString());

function aSchedule(overrides: Partial<AgentSchedule> = {}): AgentSchedule {
  return {
    timeZone: 'UTC',
    weeklyHours: [1, 2, 3, 4, 5].map((weekday) => ({
      weekday,
      startTime: '09:00',
      endTime: '12:00',
    })),
    bufferMinutes: 0,
    minimumNoticeMinutes: 0,
    bookingWindowDays: 365,
    stepMinutes: 60,
    timeOff: [],
    busy: [],
    ...overrides,
  };
}

// A Sunday long before every date below, so notice and window never interfere unless asked.
const longBefore = at('2025-01-05T00:00:00.000Z');

function slotsOf(
  schedule: AgentSchedule,
  from: string,
  to: string,
  durationMinutes = 30,
  now = longBefore,
): string[] {
  return starts(availableSlots(schedule, { from: at(from), to: at(to), durationMinutes, now }));
}

describe('slot calculator', () => {
  describe('working hours', () => {
    it('offers starts on the grid from the start of each period, only where the slot fits', () => {
      const schedule = aSchedule({ stepMinutes: 45 });
      // Monday 2025-03-03: 09:00, 09:45, 10:30 fit 60 minutes before 12:00; 11:15 does not.
      expect(slotsOf(schedule, '2025-03-03T00:00:00Z', '2025-03-04T00:00:00Z', 60)).toEqual([
        '2025-03-03T09:00:00.000Z',
        '2025-03-03T09:45:00.000Z',
        '2025-03-03T10:30:00.000Z',
      ]);
    });

    it('offers nothing on days without hours and honours several periods per day', () => {
      const schedule = aSchedule({
        weeklyHours: [
          { weekday: 6, startTime: '08:00', endTime: '09:00' },
          { weekday: 6, startTime: '14:00', endTime: '15:00' },
        ],
      });
      expect(slotsOf(schedule, '2025-03-07T00:00:00Z', '2025-03-10T00:00:00Z')).toEqual([
        '2025-03-08T08:00:00.000Z',
        '2025-03-08T14:00:00.000Z',
      ]);
    });

    it('returns only starts within [from, to), ends in the slot duration, earliest first', () => {
      const slots = availableSlots(aSchedule(), {
        from: at('2025-03-03T10:00:00Z'),
        to: at('2025-03-03T11:00:00Z'),
        durationMinutes: 20,
        now: longBefore,
      });
      expect(slots).toEqual([interval('2025-03-03T10:00:00Z', '2025-03-03T10:20:00Z')]);
    });

    it('accepts a period running to 24:00', () => {
      const schedule = aSchedule({
        weeklyHours: [{ weekday: 1, startTime: '23:00', endTime: '24:00' }],
      });
      expect(slotsOf(schedule, '2025-03-03T00:00:00Z', '2025-03-05T00:00:00Z', 60)).toEqual([
        '2025-03-03T23:00:00.000Z',
      ]);
    });

    it('reads the hours in the agent zone', () => {
      const schedule = aSchedule({ timeZone: 'Asia/Tokyo' });
      // 09:00 in Tokyo (UTC+9) is midnight UTC.
      expect(slotsOf(schedule, '2025-03-03T00:00:00Z', '2025-03-03T01:00:00Z')).toEqual([
        '2025-03-03T00:00:00.000Z',
      ]);
    });
  });

  describe('across DST in Europe/Berlin', () => {
    const berlin = (weekday: number, startTime: string, endTime: string, step = 60) =>
      aSchedule({
        timeZone: 'Europe/Berlin',
        stepMinutes: step,
        weeklyHours: [{ weekday, startTime, endTime }],
      });

    it('keeps 09:00–17:00 local on the day the clocks spring forward', () => {
      const schedule = aSchedule({
        timeZone: 'Europe/Berlin',
        weeklyHours: [6, 7].map((weekday) => ({ weekday, startTime: '09:00', endTime: '17:00' })),
      });
      const slots = slotsOf(schedule, '2025-03-29T00:00:00Z', '2025-03-31T00:00:00Z', 60);
      // Saturday is CET (UTC+1), Sunday 30 March CEST (UTC+2).
      expect(slots.filter((s) => s.startsWith('2025-03-29'))).toHaveLength(8);
      expect(slots[0]).toBe('2025-03-29T08:00:00.000Z');
      expect(slots[7]).toBe('2025-03-29T15:00:00.000Z');
      expect(slots[8]).toBe('2025-03-30T07:00:00.000Z');
      expect(slots.at(-1)).toBe('2025-03-30T14:00:00.000Z');
      expect(slots).toHaveLength(16);
    });

    it('skips local times that do not exist (02:00–03:00 on 30 March)', () => {
      const slots = slotsOf(
        berlin(7, '01:00', '04:00'),
        '2025-03-29T00:00:00Z',
        '2025-03-31T00:00:00Z',
      );
      expect(slots).toEqual(['2025-03-30T00:00:00.000Z', '2025-03-30T01:00:00.000Z']);
    });

    it('ends a period whose end the zone skips where the zone resumes (03:00 on 30 March)', () => {
      // 01:00–02:30 local ends at 03:00 CEST, an hour after 01:00 CET: 01:30 CET no longer fits.
      const slots = slotsOf(
        berlin(7, '01:00', '02:30', 30),
        '2025-03-29T00:00:00Z',
        '2025-03-31T00:00:00Z',
        60,
      );
      expect(slots).toEqual(['2025-03-30T00:00:00.000Z']);
    });

    it('offers a repeated local time once (02:00–03:00 on 26 October)', () => {
      const slots = slotsOf(
        berlin(7, '01:00', '04:00'),
        '2025-10-25T00:00:00Z',
        '2025-10-27T00:00:00Z',
      );
      expect(slots).toHaveLength(3);
      expect(slots[0]).toBe('2025-10-25T23:00:00.000Z');
      expect(slots[2]).toBe('2025-10-26T02:00:00.000Z');
      expect(new Set(slots).size).toBe(3);
    });

    it('keeps 09:00–17:00 local on the day the clocks fall back', () => {
      const slots = slotsOf(
        berlin(7, '09:00', '17:00'),
        '2025-10-26T00:00:00Z',
        '2025-10-27T00:00:00Z',
      );
      expect(slots[0]).toBe('2025-10-26T08:00:00.000Z');
      expect(slots.at(-1)).toBe('2025-10-26T15:00:00.000Z');
      expect(slots).toHaveLength(8);
    });
  });

  describe('across DST in America/New_York', () => {
    const newYork = (weekdays: number[], startTime: string, endTime: string) =>
      aSchedule({
        timeZone: 'America/New_York',
        weeklyHours: weekdays.map((weekday) => ({ weekday, startTime, endTime })),
      });

    it('keeps 09:00–17:00 local around 9 March', () => {
      const slots = slotsOf(
        newYork([6, 7], '09:00', '17:00'),
        '2025-03-08T00:00:00Z',
        '2025-03-10T00:00:00Z',
        60,
      );
      // Saturday is EST (UTC-5), Sunday 9 March EDT (UTC-4).
      expect(slots[0]).toBe('2025-03-08T14:00:00.000Z');
      expect(slots[8]).toBe('2025-03-09T13:00:00.000Z');
      expect(slots.at(-1)).toBe('2025-03-09T20:00:00.000Z');
      expect(slots).toHaveLength(16);
    });

    it('skips 02:00 on 9 March and offers 01:00 once on 2 November', () => {
      expect(
        slotsOf(newYork([7], '01:00', '04:00'), '2025-03-09T00:00:00Z', '2025-03-10T00:00:00Z'),
      ).toEqual(['2025-03-09T06:00:00.000Z', '2025-03-09T07:00:00.000Z']);
      const fallBack = slotsOf(
        newYork([7], '00:00', '03:00'),
        '2025-11-02T00:00:00Z',
        '2025-11-03T00:00:00Z',
      );
      expect(fallBack).toHaveLength(3);
      expect(fallBack[0]).toBe('2025-11-02T04:00:00.000Z');
      expect(fallBack[2]).toBe('2025-11-02T07:00:00.000Z');
    });
  });

  describe('what blocks a slot', () => {
    const monday = ['2025-03-03T00:00:00Z', '2025-03-04T00:00:00Z'] as const;

    it('keeps the buffer free on both sides of another appointment', () => {
      // Busy 10:00–10:30 plus a 30-minute buffer: 10:00–11:00 is blocked.
      const schedule = aSchedule({
        stepMinutes: 30,
        bufferMinutes: 30,
        busy: [interval('2025-03-03T10:00:00Z', '2025-03-03T11:00:00Z')],
      });
      // 09:00 ends 09:30, 30 min before 10:00; 09:30 would end at 10:00, too close.
      expect(slotsOf(schedule, ...monday)).toEqual([
        '2025-03-03T09:00:00.000Z',
        '2025-03-03T11:00:00.000Z',
        '2025-03-03T11:30:00.000Z',
      ]);
      expect(slotRejection(schedule, at('2025-03-03T09:30:00Z'), 30, longBefore)).toBe('TAKEN');
      expect(slotRejection(schedule, at('2025-03-03T10:30:00Z'), 30, longBefore)).toBe('TAKEN');
    });

    it('leaves out time off', () => {
      const schedule = aSchedule({
        timeOff: [interval('2025-03-03T09:30:00Z', '2025-03-03T10:15:00Z')],
      });
      // 09:00–09:30 ends as the time off begins; 10:00 overlaps it.
      expect(slotsOf(schedule, ...monday)).toEqual([
        '2025-03-03T09:00:00.000Z',
        '2025-03-03T11:00:00.000Z',
      ]);
      expect(slotRejection(schedule, at('2025-03-03T10:00:00Z'), 30, longBefore)).toBe('TIME_OFF');
    });

    it('honours the minimum notice and the booking window', () => {
      const schedule = aSchedule({ minimumNoticeMinutes: 90, bookingWindowDays: 1 });
      const now = at('2025-03-03T08:00:00Z');
      // 09:00 is within 90 minutes of now; Tuesday is more than a day ahead.
      expect(slotsOf(schedule, '2025-03-03T00:00:00Z', '2025-03-06T00:00:00Z', 30, now)).toEqual([
        '2025-03-03T10:00:00.000Z',
        '2025-03-03T11:00:00.000Z',
      ]);
      expect(slotRejection(schedule, at('2025-03-03T09:00:00Z'), 30, now)).toBe('TOO_SOON');
      expect(slotRejection(schedule, at('2025-03-04T09:00:00Z'), 30, now)).toBe(
        'BEYOND_BOOKING_WINDOW',
      );
    });
  });

  describe('checking one start', () => {
    const schedule = aSchedule({ stepMinutes: 30 });

    it('accepts exactly the starts the listing offers', () => {
      const listed = availableSlots(schedule, {
        from: at('2025-03-03T00:00:00Z'),
        to: at('2025-03-04T00:00:00Z'),
        durationMinutes: 60,
        now: longBefore,
      });
      for (const slot of listed)
        expect(slotRejection(schedule, slot.start, 60, longBefore)).toBeNull();
    });

    it.each([
      ['before the hours', '2025-03-03T08:00:00Z', 'OUTSIDE_WORKING_HOURS'],
      ['on a day without hours', '2025-03-08T09:00:00Z', 'OUTSIDE_WORKING_HOURS'],
      [
        'so late the slot would overrun the period',
        '2025-03-03T11:30:00Z',
        'OUTSIDE_WORKING_HOURS',
      ],
      ['between grid points', '2025-03-03T09:10:00Z', 'OFF_GRID'],
    ])('rejects a start %s', (_case, start, rejection) => {
      expect(slotRejection(schedule, at(start), 60, longBefore)).toBe(rejection);
    });
  });
});
