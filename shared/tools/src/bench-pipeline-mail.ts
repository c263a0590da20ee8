import { SMTPServer } from 'smtp-server';

/**
 * The pipeline benchmark's SMTP server: accepts every mail and remembers when it accepted it
 * and its Message-ID, which the notification service builds as `<notificationId@domain>`.
 * It reads only the header block, not the whole MIME tree: parsing hundreds of mails a
 * second would take the CPU the platform under measurement runs on.
 */

export interface AcceptedMail {
  /** The notification the mail delivers, from its Message-ID; null if it has none of that form. */
  notificationId: string | null;
  /** Epoch ms at which the server had the whole mail and answered 250. */
  acceptedAt: number;
}

/** The header fields of a mail's header block (before the first empty line), names in lower case, unfolded. */
export function headerFields(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let name: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      // A folded continuation of the field before.
      if (name !== null) fields.set(name, `${fields.get(name)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** The id part of `<id@domain>`, if it is that. */
export function notificationIdOf(messageId: string | undefined): string | null {
  const match = /^<([^<>@\s]+)@[^<>\s]+>$/.exec(messageId?.trim() ?? '');
  return match ? match[1] : null;
}

const HEADER_END = '\r\n\r\n';
/** A header block longer than this is not one of ours; its Message-ID is not looked for. */
const MAX_HEADER_BYTES = 64 * 1024;

export class PipelineMailSink {
  private constructor(
    private readonly server: SMTPServer,
    readonly url: string,
    /** Every mail accepted, in order of acceptance. */
    readonly mails: readonly AcceptedMail[],
  ) {}

  /** Listens on a free port of 127.0.0.1 (plain SMTP, no authentication) until `close()`. */
  static async start(port: number): Promise<PipelineMailSink> {
    const mails: AcceptedMail[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        let head = '';
        let headDone = false;
        stream.on('data', (chunk: Buffer) => {
          if (headDone) return;
          head += chunk.toString('latin1');
          const end = head.indexOf(HEADER_END);
          if (end >= 0) head = head.slice(0, end);
          headDone = end >= 0 || head.length > MAX_HEADER_BYTES;
        });
        stream.on('end', () => {
          mails.push({
            notificationId: notificationIdOf(headerFields(head).get('message-id')),
            acceptedAt: Date.now(),
          });
          callback();
        });
        stream.on('error', (error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new PipelineMailSink(server, `smtp://127.0.0.1:${port}`, mails);
  }

  /** Mails accepted for each notification id among `ids`, first acceptance only. */
  acceptedAt(ids: ReadonlySet<string>): Map<string, number> {
    const accepted = new Map<string, number>();
    for (const mail of this.mails) {
      if (mail.notificationId && ids.has(mail.notificationId) && !accepted.has(mail.notificationId))
        accepted.set(mail.notificationId, mail.acceptedAt);
    }
    return accepted;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
