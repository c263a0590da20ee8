import { DateTime } from 'luxon';
import { knownZone } from '../templates/format';

/** A daily window, in minutes after local midnight; it wraps midnight when `end < start`. */
export interface QuietHours {
  start: number;
  end: number;
}

const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isClockTime(text: string): boolean {
  return CLOCK_TIME.test(text);
}

/** "HH:MM" (24 h) → minutes after midnight. */
export function parseClockTime(text: string): number {
  const match = CLOCK_TIME.exec(text);
  if (!match) throw new RangeError(`not a HH:MM time: ${text}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

export function formatClockTime(minutes: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function isInside(minuteOfDay: number, { start, end }: QuietHours): boolean {
  return start < end
    ? minuteOfDay >= start && minuteOfDay < end
    : minuteOfDay >= start || minuteOfDay < end;
}

/**
 * When the quiet hours around `now` end, in the person's zone; null when `now` is outside
 * them. Read on the local wall clock, so a window keeps its local times across daylight
 * saving changes; an end that falls in a skipped hour moves to the first instant after it.
 */
export function quietHoursEnd(now: Date, quiet: QuietHours, timeZone: string): Date | null {
  const local = DateTime.fromJSDate(now, { zone: knownZone(timeZone) });
  if (!isInside(local.hour * 60 + local.minute, quiet)) return null;
  const endOn = (day: DateTime) =>
    day.set({
      hour: Math.floor(quiet.end / 60),
      minute: quiet.end % 60,
      second: 0,
      millisecond: 0,
    });
  let end = endOn(local);
  if (end <= local) end = endOn(local.plus({ days: 1 }));
  return end.toJSDate();
}
