// The gateway's rate-limit variables: where the counters live, how long a call to them may
// take, whom to believe about the client's address, and each limit as "<points>/<seconds>".
import { z } from 'zod';

/** A limit: at most `points` per fixed window of `durationSeconds`. */
export interface RateLimitRule {
  points: number;
  durationSeconds: number;
}

const rule = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, context): RateLimitRule => {
      const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
      const [points, durationSeconds] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
      if (points < 1 || durationSeconds < 1) {
        context.addIssue({
          code: 'custom',
          message: 'expected "<points>/<seconds>", both positive whole numbers, e.g. "20/900"',
        });
        return z.NEVER;
      }
      return { points, durationSeconds };
    });

/**
 * Express's `trust proxy`: unset or "false" believes only the socket address; a number trusts
 * that many proxy hops of X-Forwarded-For; anything else is a list of trusted proxy addresses
 * or subnets ("loopback", "10.0.0.0/8, 172.16.0.0/12"). "true" would let any client choose its address.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((value): boolean | number | string => {
    const trimmed = value.trim();
    if (trimmed === '' || trimmed === 'false') return false;
    if (trimmed === 'true') return true;
    return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  });

export const rateLimitShape = {
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Every key starts with it: replicas of one deployment share it, other deployments and test runs do not. */
  RATE_LIMIT_KEY_PREFIX: z.string().min(1).default('servicedesk:rate-limit:'),
  /** Bound on one Redis call; past it the request is counted in this process only. */
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce.number().int().positive().default(250),
  TRUST_PROXY: trustProxy,
  /** Operations without an access token, per client address. */
  RATE_LIMIT_ANONYMOUS: rule('300/60'),
  /** `login` fields, per client address: one client trying many accounts. */
  RATE_LIMIT_LOGIN_PER_ADDRESS: rule('20/900'),
  /** `login` fields, per email: one account tried from many addresses. */
  RATE_LIMIT_LOGIN_PER_ACCOUNT: rule('10/900'),
  /** `register` fields, per client address: accounts created by one client. */
  RATE_LIMIT_REGISTER_PER_ADDRESS: rule('10/3600'),
  /** Mutation fields of a signed-in user, every field counted (aliases included). */
  RATE_LIMIT_MUTATIONS_PER_USER: rule('120/60'),
};
