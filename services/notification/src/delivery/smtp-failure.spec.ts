import { classifySmtpFailure, redact } from './smtp-failure';

const smtpError = (responseCode: number, response: string, code = 'EMESSAGE') =>
  Object.assign(new Error(`Message failed: ${response}`), { code, responseCode, response });

describe('SMTP failure classification', () => {
  it('treats 4xx replies as transient', () => {
    expect(classifySmtpFailure(smtpError(451, '451 4.3.0 Try again later'))).toEqual({
      transient: true,
      reason: 'SMTP 451: 4.3.0 Try again later',
    });
  });

  it('treats 5xx replies as permanent, without the address the server quoted', () => {
    const failure = classifySmtpFailure(
      smtpError(550, '550 5.1.1 <ada@example.com>: Recipient address rejected', 'EENVELOPE'),
    );
    expect(failure.transient).toBe(false);
    expect(failure.reason).toBe('SMTP 550: 5.1.1 <address>: Recipient address rejected');
    expect(failure.reason).not.toContain('ada@example.com');
  });

  it('treats a rejected envelope without a reply code as an invalid address', () => {
    expect(
      classifySmtpFailure(Object.assign(new Error('No recipients'), { code: 'EENVELOPE' })),
    ).toEqual({ transient: false, reason: 'invalid recipient address' });
  });

  it.each(['ECONNECTION', 'ESOCKET', 'ECONNREFUSED', 'EDNS'])(
    'treats %s as a transient connection failure',
    (code) => {
      expect(classifySmtpFailure(Object.assign(new Error('boom'), { code }))).toEqual({
        transient: true,
        reason: `cannot reach the SMTP server (${code})`,
      });
    },
  );

  it('treats a timeout as transient', () => {
    expect(
      classifySmtpFailure(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })),
    ).toEqual({ transient: true, reason: 'SMTP server timed out' });
  });

  it('treats a conversation aborted at its deadline as transient', () => {
    expect(
      classifySmtpFailure(Object.assign(new Error('Message sending aborted'), { code: 'EABORT' })),
    ).toEqual({ transient: true, reason: 'SMTP conversation outlasted its deadline' });
  });

  it('assumes an unknown error is transient and never repeats credentials', () => {
    const failure = classifySmtpFailure(
      new Error('could not use smtp://mailer:hunter2@mail.example.com:587 for bob@example.com'),
    );
    expect(failure.transient).toBe(true);
    expect(failure.reason).not.toContain('hunter2');
    expect(failure.reason).not.toContain('bob@example.com');
  });

  it('keeps reasons short', () => {
    expect(redact('x'.repeat(1000))).toHaveLength(200);
  });
});
