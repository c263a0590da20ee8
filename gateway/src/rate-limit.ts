// The gateway's rate limits: fixed-window counters in Redis, shared by every replica. While
// Redis cannot be reached each process counts on its own in memory, so it keeps serving.
import { Redis } from 'ioredis';
import type { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './metrics';
import type { RateLimitRule } from './rate-limit-config';
import { Charge, RATE_LIMIT_NAMES, RateLimitName } from './rate-limit-charges';

export interface RateLimitOptions {
  redisUrl: string;
  keyPrefix: string;
  redisTimeoutMs: number;
  rules: Record<RateLimitName, RateLimitRule>;
  logger: Logger;
  redisUp: Gauge;
  limited: Counter<'limit'>;
}

export interface RateLimitRefusal {
  limit: RateLimitName;
  /** Whole seconds until the exceeded window ends (at least 1). */
  retryAfterSeconds: number;
}

/** Reconnection backoff: quick at first, then every 2 s for as long as Redis stays away. */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 2_000);

export class RateLimits {
  private readonly redis: Redis;
  private readonly limiters: Record<RateLimitName, RateLimiterRedis>;
  /** Undefined until the first connection attempt ends either way. */
  private redisReachable: boolean | undefined;
  private closing = false;

  constructor(private readonly options: RateLimitOptions) {
    options.redisUp.set(0);
    this.redis = new Redis(options.redisUrl, {
      // A command is never queued for a connection that is not there: it fails at once and
      // the request is counted in memory instead; one that is sent waits at most this long.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.redisTimeoutMs,
      connectTimeout: Math.max(options.redisTimeoutMs, 1_000),
      retryStrategy: reconnectDelayMs,
    });
    this.redis.on('ready', () => this.reachable(true));
    this.redis.on('error', (error: Error) => this.reachable(false, error));
    this.redis.on('close', () => this.reachable(false));
    this.limiters = Object.fromEntries(
      RATE_LIMIT_NAMES.map((limit) => {
        const { points, durationSeconds: duration } = options.rules[limit];
        const keyPrefix = `${options.keyPrefix}${limit}`;
        const limiter = new RateLimiterRedis({
          storeClient: this.redis,
          keyPrefix,
          points,
          duration,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
        });
        return [limit, limiter];
      }),
    ) as Record<RateLimitName, RateLimiterRedis>;
  }

  /**
   * Settles once the first connection attempt has ended either way (bounded by its connect
   * timeout), so that a gateway which has Redis counts there from its first request.
   */
  firstConnection(): Promise<void> {
    if (this.redisReachable !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const settle = () => {
        this.redis.off('ready', settle).off('error', settle);
        resolve();
      };
      this.redis.once('ready', settle).once('error', settle);
    });
  }

  get redisState(): 'up' | 'down' {
    return this.redisReachable ? 'up' : 'down';
  }

  /**
   * Spends every charge (all of them, so each counter sees the attempt) and returns the
   * exceeded limit that frees up last, or null when the request may go on.
   */
  async spend(charges: readonly Charge[]): Promise<RateLimitRefusal | null> {
    const outcomes = await Promise.allSettled(
      charges.map(({ limit, key, points }) => this.limiters[limit].consume(key, points)),
    );
    let refusal: RateLimitRefusal | null = null;
    outcomes.forEach((outcome, index) => {
      // Any other failure would be the in-memory limiter's own: the request is let through.
      if (outcome.status === 'fulfilled' || !(outcome.reason instanceof RateLimiterRes)) return;
      const retryAfterSeconds = Math.max(1, Math.ceil(outcome.reason.msBeforeNext / 1000));
      if (!refusal || retryAfterSeconds > refusal.retryAfterSeconds) {
        refusal = { limit: charges[index].limit, retryAfterSeconds };
      }
    });
    if (refusal) this.options.limited.inc({ limit: (refusal as RateLimitRefusal).limit });
    return refusal;
  }

  close(): void {
    this.closing = true;
    this.redis.disconnect();
  }

  /** Logs each change between reachable and not once, however many retries fail in between. */
  private reachable(reachable: boolean, error?: Error): void {
    if (this.closing || this.redisReachable === reachable) return;
    this.redisReachable = reachable;
    this.options.redisUp.set(reachable ? 1 : 0);
    if (reachable) {
      this.options.logger.info('rate limits: Redis reachable, counting across replicas');
    } else {
      this.options.logger.warn(
        { reason: error?.message ?? 'connection closed' },
        'rate limits: Redis unreachable, each process counts on its own until it is back',
      );
    }
  }
}

/** The limits as the gateway's configuration sets them. */
export function createRateLimits(
  config: GatewayConfig,
  logger: Logger,
  metrics: Pick<GatewayMetrics, 'rateLimiterRedisUp' | 'rateLimited'>,
): RateLimits {
  return new RateLimits({
    redisUrl: config.REDIS_URL,
    keyPrefix: config.RATE_LIMIT_KEY_PREFIX,
    redisTimeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    rules: {
      anonymous: config.RATE_LIMIT_ANONYMOUS,
      login_per_address: config.RATE_LIMIT_LOGIN_PER_ADDRESS,
      login_per_account: config.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      register_per_address: config.RATE_LIMIT_REGISTER_PER_ADDRESS,
      mutations_per_user: config.RATE_LIMIT_MUTATIONS_PER_USER,
    },
    logger,
    redisUp: metrics.rateLimiterRedisUp,
    limited: metrics.rateLimited,
  });
}
