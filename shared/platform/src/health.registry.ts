/** One dependency a service needs to serve traffic; `check` throws (or rejects) when it is not ready. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export type CheckResult = { status: 'up' } | { status: 'down'; error: string };

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, CheckResult>;
}

const CHECK_TIMEOUT_MS = 3000;

function withTimeout(check: ReadinessCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve().then(() => check.check()), timeout]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * The readiness checks of one app. PlatformModule seeds it with `readinessChecks`; other
 * modules (messaging: broker, consumers) inject it and `register` theirs when they start.
 * Once shutdown begins the app reports not ready, so load balancers stop sending traffic
 * while in-flight requests finish.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  constructor(
    initial: ReadinessCheck[] = [],
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {
    initial.forEach((check) => this.register(check));
  }

  /** Adds a check; a later check with the same name replaces the earlier one. */
  register(check: ReadinessCheck): void {
    this.checks.set(check.name, check);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks.values()].map(async (check): Promise<[string, CheckResult]> => {
        try {
          await withTimeout(check, this.timeoutMs);
          return [check.name, { status: 'up' }];
        } catch (error) {
          return [
            check.name,
            { status: 'down', error: error instanceof Error ? error.message : String(error) },
          ];
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    if (this.shuttingDown) checks.shutdown = { status: 'down', error: 'shutting down' };
    const ready = Object.values(checks).every((result) => result.status === 'up');
    return { status: ready ? 'ready' : 'not_ready', checks };
  }
}
