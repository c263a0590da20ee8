import { EmailLease, emailLeaseTimes } from './email-lease';

const times = emailLeaseTimes({
  NOTIFICATION_SMTP_TIMEOUT_MS: 10_000,
  DATABASE_POOL_ACQUIRE_TIMEOUT_MS: 5_000,
});
const claimedAt = new Date('2026-12-01T09:00:00.000Z');
const after = (ms: number) => new Date(claimedAt.getTime() + ms);

describe('the lease of an email being sent', () => {
  it('lasts two SMTP deadlines and the margin of the outcome’s last try', () => {
    expect(times).toEqual({ sendMs: 10_000, marginMs: 5_000, leaseMs: 25_000 });
    expect(new EmailLease(claimedAt, times).until).toEqual(after(25_000));
  });

  it('lets a send start only while it would be over, at its deadline, before the lease ends', () => {
    const lease = new EmailLease(claimedAt, times);
    expect(lease.maySend(claimedAt)).toBe(true);
    expect(lease.maySend(after(times.sendMs))).toBe(true);
    expect(lease.maySend(after(times.sendMs + 1))).toBe(false);

    const latestEnd = after(times.sendMs + times.sendMs);
    expect(lease.mayRecord(latestEnd)).toBe(true);
    expect(latestEnd.getTime()).toBeLessThan(lease.until.getTime());
  });

  it('leaves the margin free at its end: no try at recording the outcome starts in it', () => {
    const lease = new EmailLease(claimedAt, times);
    expect(lease.mayRecord(after(times.leaseMs - times.marginMs))).toBe(true);
    expect(lease.mayRecord(after(times.leaseMs - times.marginMs + 1))).toBe(false);
    expect(lease.mayRecord(lease.until)).toBe(false);
  });
});
