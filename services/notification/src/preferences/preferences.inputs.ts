import { z } from 'zod';
import type { TextLimits } from '@servicedesk/platform';
import { NOTIFICATION_CATEGORIES, isMandatoryEmail } from '../rules/categories';
import { isClockTime, parseClockTime } from './quiet-hours';

/** "HH:MM". */
const CLOCK_TIME_LENGTH = 5;

/** The longest text each argument and input field takes, enforced before resolvers run. */
export const PREFERENCES_TEXT_LIMITS: TextLimits = {
  'QuietHoursInput.start': CLOCK_TIME_LENGTH,
  'QuietHoursInput.end': CLOCK_TIME_LENGTH,
};

const clockTime = z.string().refine(isClockTime, 'must be a 24-hour time such as "07:30"');

const categoryChoice = z.object({
  category: z.enum(NOTIFICATION_CATEGORIES, { error: 'is not a notification category' }),
  email: z.boolean().nullish(),
  inApp: z.boolean().nullish(),
});

/**
 * `updateNotificationPreferences(input)`. Categories not listed, and channels not given,
 * keep their current choice. `quietHours: null` clears them; leaving it out keeps them.
 */
export const updatePreferencesArgs = z.object({
  input: z
    .object({
      categories: z
        .array(categoryChoice)
        .max(NOTIFICATION_CATEGORIES.length * 2)
        .nullish(),
      quietHours: z.object({ start: clockTime, end: clockTime }).nullish(),
    })
    .superRefine((input, ctx) => {
      const seen = new Set<string>();
      (input.categories ?? []).forEach((choice, index) => {
        if (seen.has(choice.category)) {
          ctx.addIssue({
            code: 'custom',
            path: ['categories', index, 'category'],
            message: 'is listed more than once',
          });
        }
        seen.add(choice.category);
        if (choice.email === false && isMandatoryEmail(choice.category)) {
          ctx.addIssue({
            code: 'custom',
            path: ['categories', index, 'email'],
            message: `${choice.category} emails cannot be turned off`,
          });
        }
      });
      if (input.quietHours && input.quietHours.start === input.quietHours.end) {
        ctx.addIssue({
          code: 'custom',
          path: ['quietHours', 'end'],
          message: 'must differ from start',
        });
      }
    })
    .transform(({ categories, quietHours }) => ({
      categories: categories ?? [],
      quietHours:
        quietHours === undefined
          ? undefined
          : quietHours && {
              start: parseClockTime(quietHours.start),
              end: parseClockTime(quietHours.end),
            },
    })),
});

export type UpdatePreferencesArgs = z.infer<typeof updatePreferencesArgs>;
