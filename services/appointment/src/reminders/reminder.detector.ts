import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { CLOCK, Clock, LOGGER, Logger } from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { APPOINTMENT_CONFIG, AppointmentConfig } from '../config';
import { Reminders } from './reminders.service';

/**
 * Emits the reminders that have come due, on a timer and on demand. Safe with any number of
 * replicas (see `Reminders.emitDue`). Runs are chained, never overlapping in one process.
 */
@Injectable()
export class ReminderDetector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly reminders: Reminders,
    @Inject(APPOINTMENT_CONFIG) private readonly config: AppointmentConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.APPOINTMENT_REMINDER_INTERVAL_MS > 0) this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One full pass: emits batch after batch until nothing due at `now` is left unclaimed. */
  async detect(now: Date = this.clock.now()): Promise<number> {
    let total = 0;
    let claimed: number;
    do {
      claimed = await this.unitOfWork.run((tx) =>
        this.reminders.emitDue(tx, now, this.config.APPOINTMENT_REMINDER_BATCH_SIZE),
      );
      total += claimed;
    } while (claimed > 0 && !this.stopped);
    if (total > 0) this.logger.info({ reminders: total }, 'appointment reminders emitted');
    return total;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.detect()
        .catch((error: unknown) =>
          this.logger.error(
            { err: error },
            'emitting appointment reminders failed; retrying next run',
          ),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.config.APPOINTMENT_REMINDER_INTERVAL_MS);
  }
}
