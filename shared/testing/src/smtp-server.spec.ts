import { createTransport } from 'nodemailer';
import { SmtpTestServer, startSmtpServer } from './smtp-server';

describe('the test SMTP server', () => {
  let smtp: SmtpTestServer;

  beforeEach(async () => {
    smtp = await startSmtpServer({ timeoutMs: 5000 });
  });

  afterEach(() => smtp.close());

  const send = (to: string, subject: string) =>
    createTransport(smtp.url).sendMail({
      from: 'Servicedesk <no-reply@servicedesk.local>',
      to,
      subject,
      text: `Plain ${subject}`,
      html: `<p>HTML ${subject}</p>`,
    });

  it('listens on 127.0.0.1 and parses what it receives', async () => {
    expect(smtp.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);

    await send('Ada@Example.com', 'Hello');

    const mail = await smtp.waitForMail((m) => m.subject === 'Hello', 'the hello mail');
    expect(mail).toMatchObject({
      from: 'Servicedesk <no-reply@servicedesk.local>',
      to: ['ada@example.com'],
      subject: 'Hello',
      text: 'Plain Hello',
      html: '<p>HTML Hello</p>',
    });
    expect(mail.headers['subject']).toBe('Hello');
    expect(mail.receivedAt).toBeInstanceOf(Date);
    expect(smtp.mailsTo('ada@example.com')).toEqual([mail]);
    expect(smtp.mailsTo('someone@example.com')).toEqual([]);
  });

  it('rejects the next deliveries with the given SMTP code, then accepts again', async () => {
    smtp.failNext(2, { code: 451, message: 'Try again later' });

    await expect(send('a@example.com', 'First')).rejects.toMatchObject({ responseCode: 451 });
    await expect(send('a@example.com', 'Second')).rejects.toMatchObject({ responseCode: 451 });
    await send('a@example.com', 'Third');

    expect(smtp.rejected).toBe(2);
    expect(smtp.mails.map((m) => m.subject)).toEqual(['Third']);
  });

  it('answers with a permanent failure when told to', async () => {
    smtp.failNext(1, { code: 550, message: 'Mailbox unavailable' });

    await expect(send('a@example.com', 'Bounced')).rejects.toMatchObject({ responseCode: 550 });
    expect(smtp.mails).toEqual([]);
  });

  it('refuses a failure code that is not an SMTP error', () => {
    expect(() => smtp.failNext(1, { code: 250, message: 'OK' })).toThrow(RangeError);
  });

  it('holds its reply to the next message until released', async () => {
    const held = smtp.holdNext();
    let answered = false;
    const sending = send('a@example.com', 'Held').then(() => (answered = true));

    const mail = await held.received;
    expect(mail.subject).toBe('Held');
    expect(answered).toBe(false);
    expect(smtp.mails).toEqual([]);

    held.release();
    await sending;
    expect(smtp.mails).toEqual([mail]);
  });

  it('gives up waiting with the description of the awaited mail', async () => {
    await expect(
      smtp.waitForMail(() => false, 'a mail that never comes', { timeoutMs: 100 }),
    ).rejects.toThrow(/a mail that never comes/);
  });
});
