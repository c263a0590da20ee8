// Failed logins by reason and accounts locked, for the dashboard: a burst of either is how
// credential stuffing shows. Every series exists at 0 from start-up, so the first one counts.
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { METRICS_REGISTRY, singleMetric } from '@servicedesk/platform';

export const LOGIN_FAILURE_REASONS = ['unknown_email', 'wrong_password', 'locked'] as const;
export type LoginFailureReason = (typeof LOGIN_FAILURE_REASONS)[number];

/** `login_failures_total{reason}` and `account_lockouts_total`. */
@Injectable()
export class AuthMetrics {
  private readonly failures: Counter<'reason'>;
  private readonly lockouts: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.failures = singleMetric(
      registry,
      'login_failures_total',
      () =>
        new Counter({
          name: 'login_failures_total',
          help: 'Refused logins by reason (unknown_email, wrong_password, locked)',
          labelNames: ['reason'],
          registers: [registry],
        }),
    );
    this.lockouts = singleMetric(
      registry,
      'account_lockouts_total',
      () =>
        new Counter({
          name: 'account_lockouts_total',
          help: 'Accounts locked after too many failed logins',
          registers: [registry],
        }),
    );
    for (const reason of LOGIN_FAILURE_REASONS) this.failures.inc({ reason }, 0);
    this.lockouts.inc(0);
  }

  loginFailed(reason: LoginFailureReason): void {
    this.failures.inc({ reason });
  }

  accountLocked(): void {
    this.lockouts.inc();
  }
}
