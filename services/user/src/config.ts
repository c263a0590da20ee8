import { z } from 'zod';
import {
  baseConfigShape,
  databasePoolShape,
  loadConfig,
  portVariable,
} from '@servicedesk/platform';
import { passwordPolicyViolation } from './users/password-policy';
import { privateKeyProblem, publicKeyProblem } from './auth/signing-keys';

/** The administrator created on first start on a developer machine; production must set its own. */
export const LOCAL_ADMIN_EMAIL = 'admin@servicedesk.local';
export const LOCAL_ADMIN_PASSWORD = 'Servicedesk-local-2024!';

const positiveInteger = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const positiveMinutes = (fallback: number) => z.coerce.number().positive().default(fallback);

const previousPublicKeysSchema = z.array(
  z.object({
    kid: z.string().min(1),
    pem: z.string().superRefine((pem, ctx) => {
      const problem = publicKeyProblem(pem);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  }),
);

const userConfigSchema = z
  .object({
    ...baseConfigShape,
    USER_PORT: portVariable(3001),
    USER_MANAGEMENT_PORT: portVariable(9001),
    // No consumers: requests, the relay and the admin bootstrap, one connection each at a time.
    ...databasePoolShape(4),
    /** Lifetime of an access token (JWT). */
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    /** Lifetime of each refresh token; every refresh issues a new one. */
    REFRESH_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(30 * 24 * 3600),
    /** PKCS8 PEM of an Ed25519 or P-256 key; "\n" escapes are accepted. Generated per process when unset outside production. */
    JWT_PRIVATE_KEY: z
      .string()
      .superRefine((pem, ctx) => {
        const problem = privateKeyProblem(pem);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** The `kid` of JWT_PRIVATE_KEY; defaults to its RFC 7638 thumbprint. */
    JWT_KEY_ID: z.string().min(1).max(128).optional(),
    /** JSON array of {"kid","pem"} (SPKI PEM): retired keys still published so their tokens verify until they expire. */
    JWT_PREVIOUS_PUBLIC_KEYS: z
      .string()
      .transform((text, ctx) => {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          ctx.addIssue({
            code: 'custom',
            message: 'must be a JSON array of {"kid", "pem"} objects',
          });
          return z.NEVER;
        }
        const parsed = previousPublicKeysSchema.safeParse(value);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          ctx.addIssue({
            code: 'custom',
            message: `${issue.path.join('.') || '(root)'}: ${issue.message}`,
          });
          return z.NEVER;
        }
        return parsed.data;
      })
      .default([]),
    LOGIN_MAX_FAILURES: positiveInteger(5),
    LOGIN_FAILURE_WINDOW_MINUTES: positiveMinutes(15),
    LOCKOUT_MINUTES: positiveMinutes(15),
    ADMIN_EMAIL: z.email().default(LOCAL_ADMIN_EMAIL),
    ADMIN_PASSWORD: z.string().default(LOCAL_ADMIN_PASSWORD),
  })
  .superRefine((config, ctx) => {
    const problem = passwordPolicyViolation(config.ADMIN_PASSWORD, { email: config.ADMIN_EMAIL });
    if (problem) ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: problem });
  });

export type UserConfig = z.infer<typeof userConfigSchema>;

/**
 * Reads and validates the user service's configuration once, at start-up. In production
 * the signing key and the first administrator's credentials must be set explicitly.
 */
export function loadUserConfig(env: NodeJS.ProcessEnv = process.env): UserConfig {
  return loadConfig(userConfigSchema, env, {
    productionSecrets: ['JWT_PRIVATE_KEY', 'ADMIN_EMAIL', 'ADMIN_PASSWORD'],
  });
}

/** Injection token of the parsed configuration. */
export const USER_CONFIG = Symbol('USER_CONFIG');
