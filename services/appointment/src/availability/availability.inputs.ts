import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { TextLimits } from '@servicedesk/platform';
import { REASON_MAX_LENGTH, optionalText } from '../appointments/appointment.inputs';
import { minutesOfDay } from '../slots/slot-calculator';

/**
 * Validation of the availability API's arguments. Each schema validates the whole argument
 * object of one field, so an issue's path is what the client wrote (`input.weeklyHours.2.endTime`).
 */
const id = z.uuid({ error: 'must be a UUID' });
const date = z.date({ error: 'must be a date-time' });

export const BUFFER_MAX_MINUTES = 240;
export const NOTICE_MAX_MINUTES = 30 * 24 * 60;
export const BOOKING_WINDOW_MAX_DAYS = 365;
export const MAX_WEEKLY_PERIODS = 70;
export const TIME_OFF_MAX_DAYS = 366;
/** The longest IANA zone name is 32 characters; room for new ones. */
export const TIME_ZONE_MAX_LENGTH = 64;
/** "HH:MM". */
const CLOCK_TIME_LENGTH = 5;

const startTime = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM between 00:00 and 23:59');
const endTime = z
  .string()
  .regex(/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'must be HH:MM between 00:01 and 24:00');

const weeklyPeriod = z
  .object({
    weekday: z
      .number()
      .int()
      .min(1, 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)')
      .max(7, 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)'),
    startTime,
    endTime,
  })
  .refine((period) => minutesOfDay(period.endTime) > minutesOfDay(period.startTime), {
    message: 'must be after startTime',
    path: ['endTime'],
  });

const weeklyHours = z
  .array(weeklyPeriod)
  .max(MAX_WEEKLY_PERIODS, `must have at most ${MAX_WEEKLY_PERIODS} periods`)
  .superRefine((periods, ctx) => {
    periods.forEach((period, index) => {
      const clash = periods.findIndex(
        (other, otherIndex) =>
          otherIndex < index &&
          other.weekday === period.weekday &&
          minutesOfDay(other.startTime) < minutesOfDay(period.endTime) &&
          minutesOfDay(period.startTime) < minutesOfDay(other.endTime),
      );
      if (clash >= 0) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `overlaps period ${clash} on weekday ${period.weekday}`,
        });
      }
    });
  });

const minutes = (max: number, fallback: number) =>
  z
    .number()
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(max, `must be at most ${max}`)
    .nullish()
    .transform((value) => value ?? fallback);

export const setAvailabilityArgs = z.object({
  input: z.object({
    agentId: id.nullish(),
    timeZone: z
      .string()
      .refine(
        (zone) => IANAZone.isValidZone(zone),
        'must be an IANA time zone, e.g. Europe/Berlin',
      ),
    weeklyHours,
    bufferMinutes: minutes(BUFFER_MAX_MINUTES, 0),
    minimumNoticeMinutes: minutes(NOTICE_MAX_MINUTES, 60),
    bookingWindowDays: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(BOOKING_WINDOW_MAX_DAYS, `must be at most ${BOOKING_WINDOW_MAX_DAYS}`)
      .nullish()
      .transform((value) => value ?? 60),
  }),
});

export const addTimeOffArgs = z.object({
  input: z
    .object({ agentId: id.nullish(), startsAt: date, endsAt: date, reason: optionalText })
    .refine((input) => input.endsAt > input.startsAt, {
      message: 'must be after startsAt',
      path: ['endsAt'],
    })
    .refine(
      (input) =>
        input.endsAt.getTime() - input.startsAt.getTime() <= TIME_OFF_MAX_DAYS * 86_400_000,
      { message: `must be at most ${TIME_OFF_MAX_DAYS} days after startsAt`, path: ['endsAt'] },
    ),
});

export const timeOffIdArgs = z.object({ id });
export const availabilityArgs = z.object({ agentId: id });

export type SetAvailabilityArgs = z.infer<typeof setAvailabilityArgs>;
export type AddTimeOffArgs = z.infer<typeof addTimeOffArgs>;

/** The longest text each argument and input field takes, enforced before resolvers run. */
export const AVAILABILITY_TEXT_LIMITS: TextLimits = {
  'SetAvailabilityInput.timeZone': TIME_ZONE_MAX_LENGTH,
  'WeeklyHoursInput.startTime': CLOCK_TIME_LENGTH,
  'WeeklyHoursInput.endTime': CLOCK_TIME_LENGTH,
  'AddTimeOffInput.reason': REASON_MAX_LENGTH,
};
