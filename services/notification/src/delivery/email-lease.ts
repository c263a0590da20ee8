/**
 * How long a claim on an email lasts (`sending_until`), derived here and only here from the
 * deadline of one SMTP conversation: long enough that no send outlives it, short enough
 * that an email whose sender died is due again soon.
 */
import type { NotificationConfig } from '../config';

export interface EmailLeaseTimes {
  /** Deadline of one SMTP conversation, whatever phase it is in. */
  sendMs: number;
  /** Kept free at the end of a lease for the last try at recording a send's outcome. */
  marginMs: number;
  /** From the claim to the end of its lease. */
  leaseMs: number;
}

/**
 * A lease counts from the clock reading taken just before the claim:
 *
 *     claim ─≤ sendMs─▶ send starts ─≤ sendMs─▶ send over ─ outcome recorded ─▶ end − margin ─▶ end
 *
 * - a send starts within `sendMs` of the claim (a claim slower than that to commit gives up
 *   its attempt) and is aborted `sendMs` after it started, so every conversation is over by
 *   `end − margin`: no second sender can claim the email while the first may still be
 *   talking to the SMTP server;
 * - the outcome of a send is recorded, and retried, until `end − margin`. The margin is the
 *   pool's acquire timeout: the last try has its connection, or has given up on it, by the
 *   end. A database away for less than what is left of the lease re-sends nothing.
 */
export function emailLeaseTimes(
  config: Pick<
    NotificationConfig,
    'NOTIFICATION_SMTP_TIMEOUT_MS' | 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'
  >,
): EmailLeaseTimes {
  const sendMs = config.NOTIFICATION_SMTP_TIMEOUT_MS;
  const marginMs = config.DATABASE_POOL_ACQUIRE_TIMEOUT_MS;
  return { sendMs, marginMs, leaseMs: 2 * sendMs + marginMs };
}

/** One claim's lease: what its holder may still start at a given instant. */
export class EmailLease {
  readonly until: Date;

  constructor(
    readonly claimedAt: Date,
    private readonly times: EmailLeaseTimes,
  ) {
    this.until = new Date(claimedAt.getTime() + times.leaseMs);
  }

  /** Whether a send started at `at` is over, at its deadline, before the lease ends. */
  maySend(at: Date): boolean {
    return at.getTime() <= this.claimedAt.getTime() + this.times.sendMs;
  }

  /** Whether a try at recording the outcome may start at `at` and still end within the lease. */
  mayRecord(at: Date): boolean {
    return at.getTime() <= this.until.getTime() - this.times.marginMs;
  }
}
