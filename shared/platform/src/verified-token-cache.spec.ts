import { VerifiedTokenCache } from './verified-token-cache';

function cacheWithClock(maxEntries?: number) {
  const clock = { now: 1_000_000_000 };
  const cache = new VerifiedTokenCache<string>({ maxEntries, now: () => clock.now });
  return { cache, clock };
}

describe('VerifiedTokenCache', () => {
  it('answers what a token was verified as until the second of its expiry', () => {
    const { cache, clock } = cacheWithClock();
    const expiresAt = clock.now / 1000 + 60;
    cache.set('token', 'alice', expiresAt);

    clock.now += 59_999;
    expect(cache.get('token')).toBe('alice');

    clock.now += 1;
    expect(cache.get('token')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets an entry verified by another generation (a key set fetched since)', () => {
    const { cache, clock } = cacheWithClock();
    cache.set('token', 'alice', clock.now / 1000 + 60, 1);

    expect(cache.get('token', 1)).toBe('alice');
    expect(cache.get('token', 2)).toBeUndefined();
    expect(cache.get('token', 1)).toBeUndefined();
  });

  it('knows nothing of a token it was never given', () => {
    const { cache } = cacheWithClock();

    expect(cache.get('unknown')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently verified first', () => {
    const { cache, clock } = cacheWithClock(2);
    const expiresAt = clock.now / 1000 + 60;
    cache.set('first', 'a', expiresAt);
    cache.set('second', 'b', expiresAt);
    cache.set('first', 'a', expiresAt);
    cache.set('third', 'c', expiresAt);

    expect(cache.size).toBe(2);
    expect(cache.get('second')).toBeUndefined();
    expect(cache.get('first')).toBe('a');
    expect(cache.get('third')).toBe('c');
  });
});
