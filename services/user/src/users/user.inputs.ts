import { z } from 'zod';
import { ROLES } from '@servicedesk/contracts';
import { CURSOR_MAX_LENGTH, TextLimits, pageSizeSchema } from '@servicedesk/platform';
import { isReservedEmail } from './erased-account';
import { PASSWORD_MAX_LENGTH, passwordPolicyViolation } from './password-policy';
import { isIanaTimeZone } from './time-zone';

/**
 * Validation of client input, one schema per operation's arguments; `validateInput`
 * turns the first problem into BAD_USER_INPUT naming the argument path (`input.email`).
 * The length of each text is the input contract's (`USER_TEXT_LIMITS`), checked before these run.
 */
export const EMAIL_MAX_LENGTH = 254;
export const NAME_MAX_LENGTH = 100;
/** The longest IANA zone name is 32 characters; room for new ones. */
export const TIME_ZONE_MAX_LENGTH = 64;

export const emailSchema = z
  .string()
  .trim()
  .min(1, 'email must not be empty')
  .pipe(z.email('email must be a valid email address'));

const CONTROL_CHARACTERS = /\p{Cc}/u;

const nameSchema = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .refine((name) => !CONTROL_CHARACTERS.test(name), 'name must not contain control characters');

const timeZoneSchema = z
  .string()
  .refine(isIanaTimeZone, 'timeZone must be an IANA time zone name such as Europe/Berlin');

const userIdSchema = (field: string) => z.uuid(`${field} must be a user id (UUID)`);

export const registerInputSchema = z
  .object({ email: emailSchema, password: z.string(), name: nameSchema, timeZone: timeZoneSchema })
  .superRefine((input, ctx) => {
    if (isReservedEmail(input.email)) {
      ctx.addIssue({
        code: 'custom',
        path: ['email'],
        message: 'email must be an address that can receive mail',
      });
    }
    const problem = passwordPolicyViolation(input.password, { email: input.email });
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });
export type RegisterInput = z.infer<typeof registerInputSchema>;

export const setUserRoleArgsSchema = z.object({
  userId: userIdSchema('userId'),
  role: z.enum(ROLES),
});

export const eraseUserArgsSchema = z.object({ userId: userIdSchema('userId') });

export const userArgsSchema = z.object({ id: userIdSchema('id') });

export const usersArgsSchema = z.object({
  first: pageSizeSchema({ min: 1 }),
  after: z.string().nullish(),
  role: z.enum(ROLES).nullish(),
});

/** The longest text each argument and input field takes, enforced before resolvers run. */
export const USER_TEXT_LIMITS: TextLimits = {
  'RegisterInput.email': EMAIL_MAX_LENGTH,
  'RegisterInput.password': PASSWORD_MAX_LENGTH,
  'RegisterInput.name': NAME_MAX_LENGTH,
  'RegisterInput.timeZone': TIME_ZONE_MAX_LENGTH,
  'Query.users(after:)': CURSOR_MAX_LENGTH,
};
