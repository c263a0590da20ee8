import { connect } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface MailCatcher {
  url: string;
  close(): Promise<void>;
}

/** Whether something accepts TCP connections at the host and port of `smtpUrl`. */
export function smtpReachable(smtpUrl: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port, protocol } = new URL(smtpUrl);
  const defaultPort = protocol === 'smtps:' ? 465 : 25;
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) || defaultPort });
    const done = (reachable: boolean) => {
      socket.destroy();
      resolve(reachable);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * A stand-in for an SMTP relay on a developer machine: accepts every mail at `smtpUrl`
 * (plain SMTP, no authentication, loopback only) and reports one line per mail, so that
 * `npm start` shows the notification emails without any mail server installed.
 */
export async function startMailCatcher(
  smtpUrl: string,
  report: (line: string) => void,
): Promise<MailCatcher> {
  const { hostname, port } = new URL(smtpUrl);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
          report(`mail to ${to}: ${mail.subject ?? '(no subject)'}`);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port) || 25, hostname, () => resolve());
  });
  return {
    url: smtpUrl,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
