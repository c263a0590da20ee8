import { isIanaTimeZone } from './time-zone';

describe('isIanaTimeZone', () => {
  it.each(['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Asia/Calcutta', 'Etc/GMT+5'])(
    'accepts %s',
    (zone) => {
      expect(isIanaTimeZone(zone)).toBe(true);
    },
  );

  it.each(['', 'Mars/Olympus_Mons', '+01:00', 'GMT+1 ', 'europe berlin', 'Europe/Berlin/'])(
    'rejects %p',
    (zone) => {
      expect(isIanaTimeZone(zone)).toBe(false);
    },
  );
});
