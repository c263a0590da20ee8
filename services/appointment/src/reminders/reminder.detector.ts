import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { CLOCK, Clock, LOGGER, Logger, PeriodicTask } from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { APPOINTMENT_CONFIG, AppointmentConfig } from '../config';
import { Reminders } from './reminders.service';

/**
 * Emits the reminders that have come due, on a timer and on demand. Safe with any number of
 * replicas (see `Reminders.emitDue`). Runs are chained, never overlapping in one process.
 */
@Injectable()
export class ReminderDetector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly reminders: Reminders,
    @Inject(APPOINTMENT_CONFIG) private readonly config: AppointmentConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask({
      name: 'emitting appointment reminders',
      intervalMs: config.APPOINTMENT_REMINDER_INTERVAL_MS,
      run: () => this.detect(),
      logger,
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
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
    } while (claimed > 0 && !this.task.stopping);
    if (total > 0) this.logger.info({ reminders: total }, 'appointment reminders emitted');
    return total;
  }
}
