/** The time one client request may take, from its arrival at the gateway to its answer. */

/** A call the request was still waiting for, and for how long. */
export interface PendingCall {
  call: string;
  forMs: number;
}

/** The part of the deadline kept for assembling and sending the answer once the calls are over. */
const answerReserveMs = (timeoutMs: number) => Math.min(500, timeoutMs / 10);

/**
 * Every subgraph call of a request gets what is left of the request's deadline (never more
 * than its own timeout), so calls in a row cannot add up past it; the calls end a little
 * before the deadline, so the answer, with whatever did arrive, still leaves in time.
 * It also knows which calls are pending, for the log line that explains a late request.
 */
export class RequestDeadline {
  readonly startedAt = performance.now();
  private readonly callsEndAt: number;
  private readonly pending = new Set<{ call: string; startedAt: number }>();
  private cutReported = false;

  constructor(readonly timeoutMs: number) {
    this.callsEndAt = this.startedAt + timeoutMs - answerReserveMs(timeoutMs);
  }

  /** Whole milliseconds a call may take: `callTimeoutMs`, or less when the deadline is nearer (≤ 0: none left). */
  budgetFor(callTimeoutMs: number): number {
    return Math.floor(Math.min(callTimeoutMs, this.callsEndAt - performance.now()));
  }

  elapsedMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  /** Records a call as pending until the returned function is called. */
  begin(call: string): () => void {
    const entry = { call, startedAt: performance.now() };
    this.pending.add(entry);
    return () => this.pending.delete(entry);
  }

  pendingCalls(): PendingCall[] {
    const now = performance.now();
    return [...this.pending].map(({ call, startedAt }) => ({
      call,
      forMs: Math.round(now - startedAt),
    }));
  }

  /** True the first time only: calls cut at the same moment make one log line, not one each. */
  firstCut(): boolean {
    if (this.cutReported) return false;
    this.cutReported = true;
    return true;
  }
}
