/**
 * As many sends at once as the mailer has SMTP connections. A mail handed to the mailer while
 * every connection is busy would wait in its queue, and that wait would count against its
 * deadline; waiting here instead, before its lease is checked, keeps the deadline for the
 * conversation itself (a mail that waited past its lease's start window is not sent).
 */
export class SendSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Runs `work` once a slot is free, first come first served. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((take) => this.waiting.push(take));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}
