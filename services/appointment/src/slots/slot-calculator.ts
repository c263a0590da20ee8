import { DateTime } from 'luxon';

/**
 * Which slots an agent offers, as pure functions of their calendar and the time: the one place
 * that decides both what `availableSlots` lists and whether a booking's start is acceptable,
 * so the two can never disagree.
 *
 * Working hours are wall-clock times in the agent's zone: a 09:00–17:00 day stays 09:00–17:00
 * local across a DST change. Candidate starts step through each period in wall-clock time from
 * its start; a local time that does not exist (spring forward) is skipped, and one that occurs
 * twice (fall back) is offered once.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const MINUTES_PER_DAY = 24 * 60;

/** A working period on one ISO weekday (1 = Monday), "HH:MM" local; endTime may be "24:00". */
export interface WeeklyPeriod {
  weekday: number;
  startTime: string;
  endTime: string;
}

/** A half-open interval [start, end). */
export interface Interval {
  start: Date;
  end: Date;
}

export interface AgentSchedule {
  timeZone: string;
  weeklyHours: readonly WeeklyPeriod[];
  bufferMinutes: number;
  minimumNoticeMinutes: number;
  bookingWindowDays: number;
  /** The grid of starts, in minutes from the start of each working period. */
  stepMinutes: number;
  timeOff: readonly Interval[];
  /**
   * What other confirmed appointments keep the agent busy: each from its start until a
   * buffer after its end (covering the ranges the database's exclusion constraint compares).
   * A candidate adds the buffer after its own end, so the gap is kept on both sides.
   */
  busy: readonly Interval[];
}

export type SlotRejection =
  | 'OUTSIDE_WORKING_HOURS'
  | 'OFF_GRID'
  | 'TOO_SOON'
  | 'BEYOND_BOOKING_WINDOW'
  | 'TIME_OFF'
  | 'TAKEN';

/** Minutes since local midnight of "HH:MM" ("24:00" is the end of the day). */
export function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
}

interface Candidate {
  start: number;
  end: number;
}

/** A local wall-clock time on `day`, or undefined if the zone skips it that day. */
function wallClock(day: DateTime, minuteOfDay: number): DateTime | undefined {
  if (minuteOfDay === MINUTES_PER_DAY) return day.plus({ days: 1 }).startOf('day');
  const hour = Math.floor(minuteOfDay / 60);
  const minute = minuteOfDay % 60;
  const instant = day.set({ hour, minute, second: 0, millisecond: 0 });
  return instant.hour === hour && instant.minute === minute ? instant : undefined;
}

/**
 * The instant a period ending at `minuteOfDay` ends on `day`. An end the zone skips (spring
 * forward) is where the zone resumes; luxon moves a skipped time forward by the whole gap, so
 * step back from there to the transition.
 */
function periodEndOn(day: DateTime, minuteOfDay: number): number {
  const exact = wallClock(day, minuteOfDay);
  if (exact) return exact.toMillis();
  const movedForward = day.set({ hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 });
  let resumes = movedForward;
  while (resumes.minus({ minutes: 1 }).offset === movedForward.offset) {
    resumes = resumes.minus({ minutes: 1 });
  }
  return resumes.toMillis();
}

/** Every grid start of `day` (a local midnight) whose slot of `durationMs` fits its period. */
function candidatesOn(schedule: AgentSchedule, day: DateTime, durationMs: number): Candidate[] {
  const candidates: Candidate[] = [];
  for (const period of schedule.weeklyHours) {
    if (period.weekday !== day.weekday) continue;
    const first = minutesOfDay(period.startTime);
    const last = minutesOfDay(period.endTime);
    const periodEnd = periodEndOn(day, last);
    for (let minute = first; minute < last; minute += schedule.stepMinutes) {
      const start = wallClock(day, minute)?.toMillis();
      if (start === undefined) continue;
      const end = start + durationMs;
      if (end <= periodEnd) candidates.push({ start, end });
    }
  }
  return candidates;
}

function overlaps(start: number, end: number, interval: Interval): boolean {
  return start < interval.end.getTime() && interval.start.getTime() < end;
}

/** Why an on-grid candidate cannot be booked at `now`, or null if it can. */
function blockerOf(
  schedule: AgentSchedule,
  { start, end }: Candidate,
  now: Date,
): SlotRejection | null {
  if (start < now.getTime() + schedule.minimumNoticeMinutes * MINUTE_MS) return 'TOO_SOON';
  if (start > now.getTime() + schedule.bookingWindowDays * DAY_MS) return 'BEYOND_BOOKING_WINDOW';
  if (schedule.timeOff.some((off) => overlaps(start, end, off))) return 'TIME_OFF';
  // The candidate would block the agent from its start until a buffer after its end.
  const blockedUntil = end + schedule.bufferMinutes * MINUTE_MS;
  if (schedule.busy.some((busy) => overlaps(start, blockedUntil, busy))) return 'TAKEN';
  return null;
}

function localDay(instant: Date | number, timeZone: string): DateTime {
  const millis = typeof instant === 'number' ? instant : instant.getTime();
  return DateTime.fromMillis(millis, { zone: timeZone }).startOf('day');
}

/** The slots of `durationMinutes` starting in [from, to) that can be booked at `now`. */
export function availableSlots(
  schedule: AgentSchedule,
  request: { from: Date; to: Date; durationMinutes: number; now: Date },
): Interval[] {
  const durationMs = request.durationMinutes * MINUTE_MS;
  const from = request.from.getTime();
  const to = request.to.getTime();
  const lastDay = localDay(request.to, schedule.timeZone);
  const slots: Candidate[] = [];
  for (
    let day = localDay(request.from, schedule.timeZone);
    day <= lastDay;
    day = day.plus({ days: 1 }).startOf('day')
  ) {
    for (const candidate of candidatesOn(schedule, day, durationMs)) {
      if (candidate.start < from || candidate.start >= to) continue;
      if (blockerOf(schedule, candidate, request.now) === null) slots.push(candidate);
    }
  }
  return slots
    .sort((a, b) => a.start - b.start)
    .filter((slot, index, sorted) => index === 0 || sorted[index - 1].start !== slot.start)
    .map(({ start, end }) => ({ start: new Date(start), end: new Date(end) }));
}

/** Why a slot of `durationMinutes` at `start` cannot be booked at `now`; null if it can. */
export function slotRejection(
  schedule: AgentSchedule,
  start: Date,
  durationMinutes: number,
  now: Date,
): SlotRejection | null {
  const durationMs = durationMinutes * MINUTE_MS;
  const candidates = candidatesOn(schedule, localDay(start, schedule.timeZone), durationMs);
  const candidate = candidates.find((c) => c.start === start.getTime());
  if (candidate) return blockerOf(schedule, candidate, now);
  // Not a start the agent offers: within a period off the grid, or not within one at all.
  const grid = candidatesOn(
    schedule,
    localDay(start, schedule.timeZone),
    schedule.stepMinutes * MINUTE_MS,
  );
  const insidePeriod = grid.some(
    (slot) => slot.start <= start.getTime() && start.getTime() < slot.end,
  );
  const onGrid = grid.some((slot) => slot.start === start.getTime());
  return insidePeriod && !onGrid ? 'OFF_GRID' : 'OUTSIDE_WORKING_HOURS';
}

/** How each rejection reads to a client, after the start it is about. */
export function describeRejection(rejection: SlotRejection, stepMinutes: number): string {
  switch (rejection) {
    case 'OUTSIDE_WORKING_HOURS':
      return "is outside the agent's working hours (the slot must start and end within one working period)";
    case 'OFF_GRID':
      return `is not on the agent's ${stepMinutes}-minute slot grid`;
    case 'TOO_SOON':
      return "is too soon: it is within the agent's minimum booking notice";
    case 'BEYOND_BOOKING_WINDOW':
      return "is beyond the agent's booking window";
    case 'TIME_OFF':
      return 'falls in time off of the agent';
    case 'TAKEN':
      return 'is taken: the agent has another appointment then (buffer included)';
  }
}
