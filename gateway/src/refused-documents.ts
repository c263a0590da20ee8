// Documents the gateway refuses before any operation runs (unparsable, invalid, over a query
// limit, naming no operation) cost their sender, as anonymous operations do, a point of the
// per-address `anonymous` limit, whether or not they carry a token: each one is cheap, but a
// client sending them without end would otherwise never meet a limit. An address past that
// limit is answered 429 for what remains of the window before its body is even read.
import type { NextFunction, Request, Response } from 'express';
import type { Counter } from 'prom-client';
import { addressKey } from './rate-limit-charges';
import type { RateLimitRefusal } from './rate-limit';

/** Bound on the addresses remembered at once; expired ones go first, then the oldest. */
const MAX_BLOCKED_ADDRESSES = 10_000;

/** Addresses past their limit on refused documents, each until its window ends. */
export class RefusedDocumentBlocks {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  block(address: string | undefined, refusal: RateLimitRefusal): void {
    const key = addressKey(address);
    this.until.delete(key);
    this.until.set(key, this.now() + refusal.retryAfterSeconds * 1000);
    if (this.until.size > MAX_BLOCKED_ADDRESSES) this.prune();
  }

  /** Whole seconds until the address may send again (at least 1), or null when it may now. */
  retryAfterSeconds(address: string | undefined): number | null {
    if (this.until.size === 0) return null;
    const key = addressKey(address);
    const until = this.until.get(key);
    if (until === undefined) return null;
    const remainingMs = until - this.now();
    if (remainingMs <= 0) {
      this.until.delete(key);
      return null;
    }
    return Math.max(1, Math.ceil(remainingMs / 1000));
  }

  get size(): number {
    return this.until.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, until] of this.until) if (until <= now) this.until.delete(key);
    // Insertion order is blocking order: the oldest blocks end first.
    for (const key of this.until.keys()) {
      if (this.until.size <= MAX_BLOCKED_ADDRESSES) break;
      this.until.delete(key);
    }
  }
}

/** Answers 429 RATE_LIMITED to an address blocked for refused documents, before parsing its body. */
export function refusedDocumentGuard(blocks: RefusedDocumentBlocks, limited: Counter<'limit'>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const retryAfter = blocks.retryAfterSeconds(req.ip);
    if (retryAfter === null) {
      next();
      return;
    }
    limited.inc({ limit: 'anonymous' });
    res
      .status(429)
      .set('retry-after', String(retryAfter))
      .json({
        errors: [
          {
            message: `Too many requests, try again in ${retryAfter} s`,
            extensions: { code: 'RATE_LIMITED', retryAfter },
          },
        ],
      });
  };
}
