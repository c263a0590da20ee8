/**
 * Holds calls until the test opens it, and tells the test when enough calls are waiting,
 * so a test can act while work is provably in flight without guessing how long to sleep.
 */
export class Gate {
  private waiting = 0;
  private readonly watchers: Array<{ count: number; notify: () => void }> = [];
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  /** Waits here until the gate is opened. */
  async pass(): Promise<void> {
    this.waiting += 1;
    for (const watcher of this.watchers.filter(({ count }) => this.waiting >= count)) {
      watcher.notify();
    }
    await this.opened;
  }

  /** Resolves once `count` calls are waiting at the gate. */
  whenWaiting(count: number): Promise<void> {
    if (this.waiting >= count) return Promise.resolve();
    return new Promise((notify) => this.watchers.push({ count, notify }));
  }

  open(): void {
    this.release();
  }
}
