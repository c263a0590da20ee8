import { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { waitFor } from './infrastructure';

/** One message the test server accepted, parsed. */
export interface ReceivedMail {
  /** The From header as written, e.g. `Servicedesk <no-reply@servicedesk.local>`. */
  from: string;
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  subject: string;
  text: string;
  /** The HTML part, or an empty string when the mail has none. */
  html: string;
  /** Header lines by lower-cased name (the last one wins when a name repeats). */
  headers: Record<string, string>;
  receivedAt: Date;
}

/** The reply the server gives instead of accepting a message. */
export interface SmtpFailure {
  /** 4xx: transient (the sender should retry); 5xx: permanent. */
  code: number;
  message: string;
}

/** A message the server has read but not answered yet (see `holdNext`). */
export interface HeldMail {
  /** Resolves with the message once the server has read it; the sender awaits the reply. */
  received: Promise<ReceivedMail>;
  /** Accepts the message (it joins `mails`), as the server would have done at once. */
  release(): void;
}

export interface SmtpTestServer {
  /** `smtp://127.0.0.1:<port>`, to use as SMTP_URL. */
  url: string;
  /** Every accepted message, in order of arrival. */
  mails: ReceivedMail[];
  /** Resolves with the first accepted message matching `predicate`, waiting for it if needed. */
  waitForMail(
    predicate: (mail: ReceivedMail) => boolean,
    description: string,
    options?: { timeoutMs?: number },
  ): Promise<ReceivedMail>;
  /** Accepted messages addressed to `address` (case-insensitive). */
  mailsTo(address: string): ReceivedMail[];
  /** Rejects the next `count` messages with `failure` instead of accepting them. */
  failNext(count: number, failure: SmtpFailure): void;
  /**
   * Holds the reply to the next message until `release`: the sender sits in the end of its
   * DATA command, as when a mail server takes its time, for the test to look around.
   */
  holdNext(): HeldMail;
  /** Messages rejected through `failNext` so far. */
  readonly rejected: number;
  close(): Promise<void>;
}

export interface SmtpTestServerOptions {
  /** How long `waitForMail` waits by default. */
  timeoutMs?: number;
}

class SmtpReplyError extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

function headerRecord(parsed: ParsedMail): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of parsed.headerLines) {
    headers[key.toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  }
  return headers;
}

/** `Name <address>` without the quotes a mailer may add around the name. */
function fromOf(parsed: ParsedMail): string {
  return (parsed.from?.value ?? [])
    .map(({ name, address }) => (name ? `${name} <${address}>` : (address ?? '')))
    .join(', ');
}

function toReceivedMail(parsed: ParsedMail, session: SMTPServerSession): ReceivedMail {
  return {
    from: fromOf(parsed),
    to: session.envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html || '',
    headers: headerRecord(parsed),
    receivedAt: new Date(),
  };
}

/**
 * A real SMTP server in the test process (no authentication, no TLS, 127.0.0.1, a free
 * port) that parses each message it accepts. Services under test send to it through their
 * ordinary SMTP client, so what is asserted is what a mail server would have received.
 * `failNext` makes it answer with an SMTP error, to exercise a sender's retries.
 */
export async function startSmtpServer(
  options: SmtpTestServerOptions = {},
): Promise<SmtpTestServer> {
  const mails: ReceivedMail[] = [];
  const failures: SmtpFailure[] = [];
  const holds: Array<{ received(mail: ReceivedMail): void; released: Promise<void> }> = [];
  let rejected = 0;

  const receive = async (stream: SMTPServerDataStream, session: SMTPServerSession) => {
    const parsed = await simpleParser(stream);
    const failure = failures.shift();
    if (failure) {
      rejected += 1;
      throw new SmtpReplyError(failure.code, failure.message);
    }
    const mail = toReceivedMail(parsed, session);
    const hold = holds.shift();
    if (hold) {
      hold.received(mail);
      await hold.released;
    }
    mails.push(mail);
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    // Connections of a sender that keeps them open must not hold `close` for long.
    closeTimeout: 100,
    onData(stream, session, callback) {
      receive(stream, session).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client dropping its connection is the client's business, not a test failure.
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitForMail(predicate, description, waitOptions = {}) {
      return waitFor(() => mails.find(predicate), {
        description: `a mail: ${description}`,
        timeoutMs: waitOptions.timeoutMs ?? options.timeoutMs ?? 15_000,
      });
    },
    mailsTo(address) {
      const wanted = address.toLowerCase();
      return mails.filter((mail) => mail.to.includes(wanted));
    },
    failNext(count, failure) {
      if (failure.code < 400 || failure.code > 599)
        throw new RangeError(`an SMTP failure code is 4xx or 5xx, got ${failure.code}`);
      for (let i = 0; i < count; i += 1) failures.push(failure);
    },
    holdNext() {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const received = new Promise<ReceivedMail>((resolve) =>
        holds.push({ received: resolve, released }),
      );
      return { received, release };
    },
    get rejected() {
      return rejected;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
