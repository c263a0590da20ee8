import { z } from 'zod';

export const MIN_DURATION_MINUTES = 5;
export const MAX_DURATION_MINUTES = 480;
export const DURATION_STEP_MINUTES = 5;
export const MAX_SLOT_SEARCH_DAYS = 62;

/** The length of an appointment: 5 to 480 minutes, in steps of 5. */
export const durationMinutes = z
  .number()
  .int('must be a whole number of minutes')
  .min(MIN_DURATION_MINUTES, `must be at least ${MIN_DURATION_MINUTES}`)
  .max(MAX_DURATION_MINUTES, `must be at most ${MAX_DURATION_MINUTES}`)
  .multipleOf(DURATION_STEP_MINUTES, `must be a multiple of ${DURATION_STEP_MINUTES}`);

export const availableSlotsArgs = z
  .object({
    agentId: z.uuid({ error: 'must be a UUID' }),
    from: z.date(),
    to: z.date(),
    durationMinutes,
  })
  .refine((args) => args.to > args.from, { message: 'must be after from', path: ['to'] })
  .refine((args) => args.to.getTime() - args.from.getTime() <= MAX_SLOT_SEARCH_DAYS * 86_400_000, {
    message: `must be at most ${MAX_SLOT_SEARCH_DAYS} days after from`,
    path: ['to'],
  });

export type AvailableSlotsArgs = z.infer<typeof availableSlotsArgs>;
