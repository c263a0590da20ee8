import { z } from 'zod';
import { emailSchema } from '../users/user.inputs';
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
