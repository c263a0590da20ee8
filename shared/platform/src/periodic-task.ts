import type { Logger } from './logger';
import { inRound } from './tracing';

export interface PeriodicTaskOptions {
  /** What the task does, for the log line of a failed run, e.g. "SLA breach detection". */
  name: string;
  /** Milliseconds from the end of one run to the start of the next; 0: never on a timer. */
  intervalMs: number;
  /**
   * One run; it resolves to how many items it handled. Each run on the timer is the root span
   * of a trace of its own, named `name`, which the events it emits carry; a run that handled
   * nothing (0) leaves no trace.
   */
  run(): Promise<number | void>;
  logger: Logger;
}

/**
 * Background work on a timer (detectors, release loops): each run starts `intervalMs` after
 * the previous one ended, so runs never overlap in one process; a failed run is logged and
 * the next one goes ahead. `stop()` cancels the next run and waits for one in progress; the
 * work checks `stopping` to end a long pass early.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(private readonly options: PeriodicTaskOptions) {}

  get stopping(): boolean {
    return this.stopped;
  }

  start(): void {
    if (this.options.intervalMs > 0) this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = inRound(this.options.name, () => this.options.run())
        .catch((error: unknown) =>
          this.options.logger.error(
            { err: error },
            `${this.options.name} failed; retrying next run`,
          ),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.intervalMs);
  }
}
