import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { LOGGER, Logger } from '@servicedesk/platform';
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
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly breaches: SlaBreaches,
    @Inject(SLA_DETECTOR_OPTIONS) private readonly options: SlaDetectorOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.intervalMs > 0) this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
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
      } while (claimed > 0 && !this.stopped);
    }
    if (total > 0) this.logger.info({ breaches: total }, 'SLA breaches detected');
    return total;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.detect()
        .catch((error: unknown) =>
          this.logger.error({ err: error }, 'SLA breach detection failed; retrying next run'),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.intervalMs);
  }
}
