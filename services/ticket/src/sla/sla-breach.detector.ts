import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { LOGGER, Logger, PeriodicTask } from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { SLA_TARGETS, SlaBreaches } from './sla-breaches.service';

export const SLA_DETECTOR_OPTIONS = Symbol('ticket.sla-detector-options');

export interface SlaDetectorOptions {
  /** Milliseconds between runs; 0 disables the schedule (`detect` still works on demand). */
  intervalMs: number;
  /** Breaches claimed per transaction. */
  batchSize: number;
}

/**
 * Finds tickets whose first response or resolution is overdue and flags each breach once,
 * emitting `ticket.sla_breached`. Safe with any number of replicas: the claim itself is the
 * lock (see `SlaBreaches.claimOverdue`). Runs are chained, never overlapping in one process.
 */
@Injectable()
export class SlaBreachDetector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly breaches: SlaBreaches,
    @Inject(SLA_DETECTOR_OPTIONS) private readonly options: SlaDetectorOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask({
      name: 'SLA breach detection',
      intervalMs: options.intervalMs,
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

  /** One full pass at `now`: claims batch after batch until nothing overdue is left. */
  async detect(now: Date = new Date()): Promise<number> {
    let total = 0;
    for (const target of SLA_TARGETS) {
      let claimed: number;
      do {
        claimed = await this.unitOfWork.run((tx) =>
          this.breaches.claimOverdue(tx, target, now, this.options.batchSize),
        );
        total += claimed;
        // Not `claimed === batchSize`: rows another detector flagged meanwhile make a batch
        // come back short while more may be left.
      } while (claimed > 0 && !this.task.stopping);
    }
    if (total > 0) this.logger.info({ breaches: total }, 'SLA breaches detected');
    return total;
  }
}
