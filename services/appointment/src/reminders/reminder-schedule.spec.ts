import { plannedReminders } from './reminder-schedule';

describe('reminder schedule', () => {
  const startsAt = new Date('2030-05-10T10:00:00.000Z');

  it('plans one reminder per offset, due that many minutes before the start', () => {
    expect(plannedReminders(startsAt, [1440, 60], new Date('2030-05-01T00:00:00.000Z'))).toEqual([
      { offsetMinutes: 1440, dueAt: new Date('2030-05-09T10:00:00.000Z') },
      { offsetMinutes: 60, dueAt: new Date('2030-05-10T09:00:00.000Z') },
    ]);
  });

  it('leaves out reminders already due when the appointment is booked', () => {
    expect(plannedReminders(startsAt, [1440, 60], new Date('2030-05-09T12:00:00.000Z'))).toEqual([
      { offsetMinutes: 60, dueAt: new Date('2030-05-10T09:00:00.000Z') },
    ]);
    expect(plannedReminders(startsAt, [1440, 60], new Date('2030-05-10T09:00:00.000Z'))).toEqual(
      [],
    );
  });
});
