import { z } from 'zod';
import type { TextLimits } from '@servicedesk/platform';
import { EMAIL_MAX_LENGTH, emailSchema } from '../users/user.inputs';
import { PASSWORD_MAX_LENGTH } from '../users/password-policy';
import { REFRESH_TOKEN_FORMAT } from './refresh-token-rotation';

/** Login does not apply the password policy: it only has to reject what no account can have. */
export const loginArgsSchema = z.object({
  email: emailSchema,
  password: z
    .string()
    .min(1, 'password must not be empty')
    .refine((password) => [...password].length <= PASSWORD_MAX_LENGTH, 'password is too long'),
});

export const refreshTokenArgsSchema = z.object({
  refreshToken: z.string().regex(REFRESH_TOKEN_FORMAT, 'refreshToken is not a refresh token'),
});

/** A refresh token is 43 base64url characters (`REFRESH_TOKEN_FORMAT`). */
const REFRESH_TOKEN_LENGTH = 43;

/** The longest text each argument takes, enforced before resolvers run. */
export const AUTH_TEXT_LIMITS: TextLimits = {
  'Mutation.login(email:)': EMAIL_MAX_LENGTH,
  'Mutation.login(password:)': PASSWORD_MAX_LENGTH,
  'Mutation.refreshToken(refreshToken:)': REFRESH_TOKEN_LENGTH,
  'Mutation.logout(refreshToken:)': REFRESH_TOKEN_LENGTH,
};
