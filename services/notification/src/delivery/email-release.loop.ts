import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, Clock, LOGGER, Logger, PeriodicTask } from '@servicedesk/platform';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import { NotificationRepository } from '../inbox/notification.repository';
import { EmailDelivery, RetryPolicy } from './email-delivery.service';
import { releaseRetryPolicy } from './retry-policy';

/**
 * Sends pending emails whose time has come: held by quiet hours, waiting after a transient
 * failure, or made due again (a replay, an admin's retry). Runs every
 * `NOTIFICATION_RELEASE_INTERVAL_MS` (runs chained, never overlapping in one process) and
 * on demand. Safe with any number of replicas: each email is claimed before it is sent.
 * A transient failure makes the email due again after an exponential backoff with jitter;
 * after `CONSUMER_MAX_ATTEMPTS` attempts, or at once on a permanent failure, it is FAILED.
 */
@Injectable()
export class EmailReleaseLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly dataSource: DataSource,
    private readonly notifications: NotificationRepository,
    private readonly emails: EmailDelivery,
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.policy = releaseRetryPolicy(config);
    this.task = new PeriodicTask({
      name: 'releasing held emails',
      intervalMs: config.NOTIFICATION_RELEASE_INTERVAL_MS,
      run: () => this.release(),
      logger,
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** One pass over every email due at the clock's now; returns how many went out. */
  async release(): Promise<number> {
    const now = this.clock.now();
    const batchSize = this.config.NOTIFICATION_RELEASE_BATCH_SIZE;
    let sent = 0;
    let after: { deliverAfter: Date; id: string } | undefined;
    while (!this.task.stopping) {
      const due = await this.notifications.dueEmails(
        this.dataSource.manager,
        now,
        batchSize,
        after,
      );
      for (let start = 0; start < due.length; start += this.emails.batchSize) {
        // Shutdown waits for this pass: with the SMTP server unreachable, every email of a
        // batch could otherwise hold it for a whole SMTP timeout.
        if (this.task.stopping) break;
        const ids = due.slice(start, start + this.emails.batchSize).map((email) => email.id);
        const outcomes = await this.emails.attemptEmails(ids, this.policy);
        sent += outcomes.filter(({ result }) => result.outcome === 'sent').length;
      }
      if (due.length < batchSize) break;
      after = due[due.length - 1];
    }
    if (sent > 0) this.logger.info({ sent }, 'held emails released');
    return sent;
  }
}
