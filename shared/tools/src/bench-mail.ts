import { LatencySummary, perSecond, summarizeLatencies } from './bench-stats';
import { MailCatcher, startMailCatcher } from './mail-catcher';

/**
 * The benchmark's SMTP server: the mail catcher `npm start` uses, on a port of the run's own,
 * remembering when each mail arrived so the email pipeline can be timed from the outside.
 */

export interface CaughtMail {
  to: string[];
  subject: string;
  /** Epoch milliseconds at which the catcher had read the whole mail. */
  receivedAt: number;
}

/**
 * A mail from the catcher's report line (`mail to <a>, <b>: <subject>`); null for any other
 * line. Addresses never contain ": ", so the first one ends the recipients.
 */
export function parseCaughtMail(line: string, receivedAt: number): CaughtMail | null {
  const match = /^mail to (.+?): (.*)$/s.exec(line);
  if (!match) return null;
  return {
    to: match[1].split(', ').filter((address) => address.length > 0),
    subject: match[2],
    receivedAt,
  };
}

/** Every mail the catcher received, in arrival order. */
export class MailSink {
  private constructor(
    private readonly catcher: MailCatcher,
    /** Filled by the catcher as mails arrive. */
    readonly mails: readonly CaughtMail[],
  ) {}

  /** Listens at `smtpUrl` (plain SMTP on loopback) until `close()`. */
  static async start(smtpUrl: string): Promise<MailSink> {
    const received: CaughtMail[] = [];
    const catcher = await startMailCatcher(smtpUrl, (line) => {
      const mail = parseCaughtMail(line, Date.now());
      if (mail) received.push(mail);
    });
    return new MailSink(catcher, received);
  }

  get url(): string {
    return this.catcher.url;
  }

  close(): Promise<void> {
    return this.catcher.close();
  }
}

/** How fast the emails caused by one phase's writes reached the SMTP server. */
export interface EmailPipelineFigures {
  /** The writes that caused them: `tickets` (createTicket) or `bookings` (bookAppointment). */
  source: string;
  /** Emails those writes cause, every one received. */
  emails: number;
  /** From the end of the phase until the last of them was received. */
  drainMs: number;
  /** Emails over the time from the start of the phase until the last was received. */
  emailsPerSecond: number;
  /** Per email: received − answer of the call that caused it; null when not traceable. */
  lagMs: LatencySummary | null;
}

/**
 * The figures of `mails`, all caused by a phase that ran from `startedAt` to `endedAt`
 * (epoch ms). `causedAt` gives the answer time of the call behind a mail, when it is known.
 */
export function emailPipelineFigures(
  source: string,
  mails: readonly CaughtMail[],
  phase: { startedAt: number; endedAt: number },
  causedAt?: (mail: CaughtMail) => number | undefined,
): EmailPipelineFigures {
  const lastReceivedAt = mails.reduce(
    (latest, mail) => Math.max(latest, mail.receivedAt),
    phase.endedAt,
  );
  const lags = causedAt
    ? mails.flatMap((mail) => {
        const answeredAt = causedAt(mail);
        return answeredAt === undefined ? [] : [mail.receivedAt - answeredAt];
      })
    : null;
  return {
    source,
    emails: mails.length,
    drainMs: lastReceivedAt - phase.endedAt,
    emailsPerSecond: perSecond(mails.length, lastReceivedAt - phase.startedAt),
    lagMs: lags && summarizeLatencies(lags),
  };
}
