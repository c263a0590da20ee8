import { createServer } from 'node:net';
import { createTransport } from 'nodemailer';
import { MailCatcher, smtpReachable, startMailCatcher } from '../src/mail-catcher';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the development mail catcher of npm start', () => {
  let catcher: MailCatcher | undefined;

  afterEach(async () => {
    await catcher?.close();
    catcher = undefined;
  });

  it('tells whether an SMTP server answers at a URL', async () => {
    const url = `smtp://127.0.0.1:${await freePort()}`;
    expect(await smtpReachable(url)).toBe(false);

    catcher = await startMailCatcher(url, () => undefined);

    expect(await smtpReachable(url)).toBe(true);
  });

  it('accepts a mail and reports its recipients and subject', async () => {
    const url = `smtp://127.0.0.1:${await freePort()}`;
    const lines: string[] = [];
    catcher = await startMailCatcher(url, (line) => lines.push(line));

    await createTransport(url).sendMail({
      from: 'no-reply@servicedesk.local',
      to: 'ada@example.com',
      subject: 'Your ticket was assigned',
      text: 'Grace is on it.',
    });

    expect(lines).toEqual(['mail to ada@example.com: Your ticket was assigned']);
  });
});
