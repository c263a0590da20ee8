import type { WeeklyPeriod } from '../slots/slot-calculator';

/** An agent's calendar settings (`appointment.availability`). */
export interface Availability {
  agentId: string;
  timeZone: string;
  weeklyHours: WeeklyPeriod[];
  bufferMinutes: number;
  minimumNoticeMinutes: number;
  bookingWindowDays: number;
  updatedAt: Date;
}

/** A blocked period of an agent's calendar (`appointment.time_off`). */
export interface TimeOff {
  id: string;
  agentId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string | null;
}

/** What `availability` and `setAvailability` return: the settings and upcoming time off. */
export interface AvailabilityView extends Availability {
  timeOff: TimeOff[];
}
