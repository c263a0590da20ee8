const MINUTE_MS = 60_000;

export interface PlannedReminder {
  offsetMinutes: number;
  dueAt: Date;
}

/**
 * The reminders of an appointment starting at `startsAt`: one per offset, due that many
 * minutes before the start, leaving out those already due at `now` (a booking made an hour
 * ahead gets no "one day before" reminder).
 */
export function plannedReminders(
  startsAt: Date,
  offsetsMinutes: readonly number[],
  now: Date,
): PlannedReminder[] {
  return offsetsMinutes
    .map((offsetMinutes) => ({
      offsetMinutes,
      dueAt: new Date(startsAt.getTime() - offsetMinutes * MINUTE_MS),
    }))
    .filter((reminder) => reminder.dueAt > now);
}
