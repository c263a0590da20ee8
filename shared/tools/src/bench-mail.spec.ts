import { CaughtMail, emailPipelineFigures, parseCaughtMail } from './bench-mail';

describe('parseCaughtMail', () => {
  it('reads the recipients and the subject of a report line', () => {
    expect(
      parseCaughtMail('mail to a@example.com, b@example.com: We received your ticket "X: Y"', 42),
    ).toEqual({
      to: ['a@example.com', 'b@example.com'],
      subject: 'We received your ticket "X: Y"',
      receivedAt: 42,
    });
  });

  it('ignores any other line', () => {
    expect(parseCaughtMail('listening on 127.0.0.1:2525', 1)).toBeNull();
  });
});

describe('emailPipelineFigures', () => {
  const mail = (receivedAt: number, subject = 'S'): CaughtMail => ({
    to: ['a@example.com'],
    subject,
    receivedAt,
  });
  const phase = { startedAt: 1_000, endedAt: 3_000 };

  it('times the drain from the end of the phase and the rate from its start', () => {
    const figures = emailPipelineFigures('tickets', [mail(2_500), mail(4_000), mail(3_500)], phase);
    expect(figures).toEqual({
      source: 'tickets',
      emails: 3,
      drainMs: 1_000,
      emailsPerSecond: 1,
      lagMs: null,
    });
  });

  it('has no drain when every mail arrived before the phase ended', () => {
    expect(emailPipelineFigures('bookings', [mail(2_000)], phase).drainMs).toBe(0);
  });

  it('measures each traceable mail from the answer of the call behind it', () => {
    const answeredAt: Record<string, number> = { one: 1_500, two: 2_800 };
    const figures = emailPipelineFigures(
      'tickets',
      [mail(1_600, 'one'), mail(3_200, 'two'), mail(3_300, 'unknown')],
      phase,
      (m) => answeredAt[m.subject],
    );
    expect(figures.lagMs).toEqual({ count: 2, p50: 100, p95: 400, p99: 400, max: 400 });
  });
});
