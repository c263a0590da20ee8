import { formatClockTime, isClockTime, parseClockTime, quietHoursEnd } from './quiet-hours';

const window = (start: string, end: string) => ({
  start: parseClockTime(start),
  end: parseClockTime(end),
});

describe('quiet hours', () => {
  it('reads and writes HH:MM clock times', () => {
    expect(parseClockTime('00:00')).toBe(0);
    expect(parseClockTime('07:30')).toBe(450);
    expect(parseClockTime('23:59')).toBe(1439);
    expect(formatClockTime(450)).toBe('07:30');
    expect(formatClockTime(0)).toBe('00:00');
  });

  it.each(['24:00', '7:30', '07:60', '0730', '', 'noon'])('rejects %j as a clock time', (text) => {
    expect(isClockTime(text)).toBe(false);
    expect(() => parseClockTime(text)).toThrow(RangeError);
  });

  it('is not in effect outside the window', () => {
    expect(
      quietHoursEnd(new Date('2026-06-10T10:00:00Z'), window('22:00', '07:00'), 'Europe/Berlin'),
    ).toBeNull();
    expect(
      quietHoursEnd(new Date('2026-06-10T05:00:00Z'), window('22:00', '07:00'), 'Europe/Berlin'),
    ).toBeNull(); // 07:00 in Berlin (UTC+2): the end itself is outside
  });

  it('ends the same day within a window that does not wrap', () => {
    // 13:15 in Berlin (UTC+2), window 12:00–14:00.
    expect(
      quietHoursEnd(new Date('2026-06-10T11:15:00Z'), window('12:00', '14:00'), 'Europe/Berlin'),
    ).toEqual(new Date('2026-06-10T12:00:00Z'));
  });

  it('wraps midnight: before midnight it ends the next morning', () => {
    // 23:30 in Berlin on 10 June → 07:00 on 11 June, Berlin time.
    expect(
      quietHoursEnd(new Date('2026-06-10T21:30:00Z'), window('22:00', '07:00'), 'Europe/Berlin'),
    ).toEqual(new Date('2026-06-11T05:00:00Z'));
  });

  it('wraps midnight: after midnight it ends the same morning', () => {
    // 02:00 in Berlin on 11 June → 07:00 the same day.
    expect(
      quietHoursEnd(new Date('2026-06-11T00:00:00Z'), window('22:00', '07:00'), 'Europe/Berlin'),
    ).toEqual(new Date('2026-06-11T05:00:00Z'));
  });

  it('reads the window in the person’s own zone', () => {
    const now = new Date('2026-06-10T21:30:00Z'); // 23:30 in Berlin, 17:30 in New York
    expect(quietHoursEnd(now, window('22:00', '07:00'), 'America/New_York')).toBeNull();
    expect(quietHoursEnd(now, window('17:00', '18:00'), 'America/New_York')).toEqual(
      new Date('2026-06-10T22:00:00Z'),
    );
  });

  it('keeps the local end time across the spring-forward night', () => {
    // Berlin moves from UTC+1 to UTC+2 at 02:00 on 29 March 2026.
    // 23:00 on 28 March (UTC+1) → 07:00 on 29 March (UTC+2) = 05:00Z, 7 hours later.
    expect(
      quietHoursEnd(new Date('2026-03-28T22:00:00Z'), window('22:00', '07:00'), 'Europe/Berlin'),
    ).toEqual(new Date('2026-03-29T05:00:00Z'));
  });

  it('keeps the local end time across the fall-back night', () => {
    // Berlin moves from UTC+2 to UTC+1 at 03:00 on 25 October 2026.
    // 23:00 on 24 October (UTC+2) → 07:00 on 25 October (UTC+1) = 06:00Z, 9 hours later.
    expect(
      quietHoursEnd(new Date('2026-10-24T21:00:00Z'), window('22:00', '07:00'), 'Europe/Berlin'),
    ).toEqual(new Date('2026-10-25T06:00:00Z'));
  });

  it('moves an end that falls in the skipped hour to just after it', () => {
    // 01:30 on 29 March 2026 in Berlin (UTC+1); 02:30 does not exist that night.
    const end = quietHoursEnd(
      new Date('2026-03-29T00:30:00Z'),
      window('01:00', '02:30'),
      'Europe/Berlin',
    );
    expect(end).toEqual(new Date('2026-03-29T01:30:00Z')); // 03:30 local, UTC+2
  });

  it('falls back to UTC for an unknown zone instead of failing', () => {
    expect(
      quietHoursEnd(new Date('2026-06-10T23:00:00Z'), window('22:00', '07:00'), 'Mars/Olympus'),
    ).toEqual(new Date('2026-06-11T07:00:00Z'));
  });
});
