// Tokens already verified, so that a caller's next requests with the same token do not pay for
// a signature check each: callers send one token many times over its short life.

interface VerifiedToken<T> {
  value: T;
  /** The token's `exp`, in seconds since the epoch. */
  expiresAt: number;
  /** What verified it (e.g. which fetch of a key set): a different one voids the entry. */
  generation: number;
}

export interface VerifiedTokenCacheOptions {
  /** Bound on memory: the least recently verified tokens go first. */
  maxEntries?: number;
  now?: () => number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, VerifiedToken<T>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * What `token` was verified as, while it has not expired (counted as jose counts it: whole
   * seconds, expired from `exp` on) and `generation` is still the one that verified it.
   */
  get(token: string, generation = 0): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.generation !== generation || entry.expiresAt <= Math.floor(this.now() / 1000)) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  set(token: string, value: T, expiresAt: number, generation = 0): void {
    this.entries.delete(token);
    this.entries.set(token, { value, expiresAt, generation });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }
}
