import { bookingPlan, isConflict, nonOverlapping, ROUND_THE_CLOCK } from './bench-appointments';
import { GraphQLCallError } from './bench-client';

const slot = (start: string, end: string) => ({
  startsAt: `2030-01-07T${start}:00.000Z`,
  endsAt: `2030-01-07T${end}:00.000Z`,
});

describe('nonOverlapping', () => {
  it('keeps the earliest slot and every later one that starts once the last kept has ended', () => {
    const offered = [
      slot('09:00', '09:30'),
      slot('09:15', '09:45'),
      slot('09:30', '10:00'),
      slot('09:45', '10:15'),
      slot('10:15', '10:45'),
    ];
    expect(nonOverlapping(offered)).toEqual([
      slot('09:00', '09:30'),
      slot('09:30', '10:00'),
      slot('10:15', '10:45'),
    ]);
  });

  it('sorts the slots itself', () => {
    expect(nonOverlapping([slot('10:00', '10:30'), slot('09:00', '09:30')])).toEqual([
      slot('09:00', '09:30'),
      slot('10:00', '10:30'),
    ]);
  });
});

describe('bookingPlan', () => {
  it('takes the agents in turn, then the rest of the longer calendars', () => {
    const plan = bookingPlan([
      { agentId: 'a', slots: [slot('09:00', '09:30'), slot('09:30', '10:00')] },
      { agentId: 'b', slots: [slot('09:00', '09:30')] },
      { agentId: 'c', slots: [] },
    ]);
    expect(plan).toEqual([
      { agentId: 'a', startsAt: '2030-01-07T09:00:00.000Z' },
      { agentId: 'b', startsAt: '2030-01-07T09:00:00.000Z' },
      { agentId: 'a', startsAt: '2030-01-07T09:30:00.000Z' },
    ]);
  });

  it('is empty without slots', () => {
    expect(bookingPlan([])).toEqual([]);
  });
});

describe('isConflict', () => {
  it('recognises a CONFLICT answer only', () => {
    expect(isConflict(new GraphQLCallError('CONFLICT: slot taken', 'CONFLICT'))).toBe(true);
    expect(isConflict(new GraphQLCallError('BAD_USER_INPUT: no', 'BAD_USER_INPUT'))).toBe(false);
    expect(isConflict(new Error('CONFLICT'))).toBe(false);
  });
});

describe('ROUND_THE_CLOCK', () => {
  it('opens all seven days for the whole day with nothing held back', () => {
    expect(ROUND_THE_CLOCK.weeklyHours.map((h) => h.weekday)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ROUND_THE_CLOCK.weeklyHours.every((h) => h.startTime === '00:00')).toBe(true);
    expect(ROUND_THE_CLOCK.weeklyHours.every((h) => h.endTime === '24:00')).toBe(true);
    expect(ROUND_THE_CLOCK).toMatchObject({ bufferMinutes: 0, minimumNoticeMinutes: 0 });
  });
});
