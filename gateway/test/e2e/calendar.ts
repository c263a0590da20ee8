import { dataOf, waitFor } from '@servicedesk/testing';
import { Actor } from './actors';

/** What the end-to-end specs need of the appointment API, through the gateway. */

export interface Slot {
  startsAt: string;
  endsAt: string;
}

export interface WorkingHours {
  timeZone: string;
  weeklyHours: Array<{ weekday: number; startTime: string; endTime: string }>;
  bufferMinutes: number;
  minimumNoticeMinutes: number;
  bookingWindowDays: number;
}

/** The same hours on every day of the week. */
export function everyDay(startTime: string, endTime: string): WorkingHours['weeklyHours'] {
  return [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startTime, endTime }));
}

/**
 * Sets a new agent's working hours, once the appointment service has learnt from the user
 * service's events that they are an agent.
 */
export async function setWorkingHours(agent: Actor, hours: Partial<WorkingHours>): Promise<void> {
  const input: WorkingHours = {
    timeZone: 'Europe/Berlin',
    weeklyHours: everyDay('08:00', '20:00'),
    bufferMinutes: 0,
    minimumNoticeMinutes: 60,
    bookingWindowDays: 30,
    ...hours,
  };
  await waitFor(
    async () =>
      dataOf(
        await agent.query(
          `mutation($input: SetAvailabilityInput!) { setAvailability(input: $input) { timeZone } }`,
          { input },
        ),
      ),
    { description: 'the appointment service to accept the working hours of a new agent' },
  );
}

export async function slotsOf(
  actor: Actor,
  agentId: string,
  from: Date,
  to: Date,
  durationMinutes = 60,
): Promise<Slot[]> {
  const { availableSlots } = dataOf(
    await actor.query<{ availableSlots: Slot[] }>(
      `query($a: ID!, $from: DateTime!, $to: DateTime!, $d: Int!) {
        availableSlots(agentId: $a, from: $from, to: $to, durationMinutes: $d) { startsAt endsAt }
      }`,
      { a: agentId, from: from.toISOString(), to: to.toISOString(), d: durationMinutes },
    ),
  );
  return availableSlots;
}

export const BOOK = `mutation($input: BookAppointmentInput!, $key: String) {
  bookAppointment(input: $input, idempotencyKey: $key) {
    id status startsAt endsAt agent { id name } customer { id name } ticket { id title }
  }
}`;

export interface BookedAppointment {
  id: string;
  status: string;
  startsAt: string;
  endsAt: string;
  agent: { id: string; name: string };
  customer: { id: string; name: string };
  ticket: { id: string; title: string } | null;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
export const MINUTE_MS = 60 * 1000;

/** "HH:MM" of `instant` on the wall clock of `timeZone`. */
export function wallClock(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);
}

/** "YYYY-MM-DD" of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(instant);
}

/** The UTC offset of `timeZone` at `instant`, e.g. "GMT+01:00". */
function offsetAt(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(instant)
    .find((part) => part.type === 'timeZoneName')!.value;
}

/** Noon UTC of the first day after `from` on which `timeZone` changes its UTC offset. */
export function nextOffsetChange(timeZone: string, from: Date): Date {
  const noon = new Date(from);
  noon.setUTCHours(12, 0, 0, 0);
  for (let day = 1; day <= 400; day += 1) {
    const before = new Date(noon.getTime() + (day - 1) * DAY_MS);
    const after = new Date(noon.getTime() + day * DAY_MS);
    if (offsetAt(before, timeZone) !== offsetAt(after, timeZone)) return after;
  }
  throw new Error(`${timeZone} does not change its offset within 400 days`);
}
