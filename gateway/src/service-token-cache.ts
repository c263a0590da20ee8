import { Identity, signServiceToken } from '@servicedesk/platform/standalone';

export interface ServiceTokenCacheOptions {
  secret: string;
  /** Who is calling: the `iss` of every token. */
  issuer: string;
  ttlSeconds?: number;
  /** Bound on memory: the least recently signed entries go first. */
  maxEntries?: number;
  now?: () => number;
  sign?: typeof signServiceToken;
}

interface Entry {
  token: Promise<string>;
  renewAt: number;
}

const DEFAULT_TTL_SECONDS = 60;
const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Service tokens for (subgraph, identity) pairs, reused for two thirds of their lifetime:
 * signing on every subgraph call would cost more than the call's own overhead, and renewing
 * early keeps a reused token valid across clock skew and slow requests.
 */
export class ServiceTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlSeconds: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sign: typeof signServiceToken;

  constructor(private readonly options: ServiceTokenCacheOptions) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    this.sign = options.sign ?? signServiceToken;
  }

  get size(): number {
    return this.entries.size;
  }

  token(audience: string, identity: Identity | null): Promise<string> {
    const key = identity
      ? `${audience}\u0000${identity.userId}\u0000${identity.role}`
      : `${audience}\u0000`;
    const cached = this.entries.get(key);
    if (cached && cached.renewAt > this.now()) return cached.token;

    const token = this.sign(this.options.secret, {
      issuer: this.options.issuer,
      audience,
      identity,
      ttlSeconds: this.ttlSeconds,
    });
    this.entries.delete(key);
    this.entries.set(key, { token, renewAt: this.now() + (this.ttlSeconds * 1000 * 2) / 3 });
    token.catch(() => {
      if (this.entries.get(key)?.token === token) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return token;
  }
}
