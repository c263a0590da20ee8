import { Identity, signServiceToken, verifyServiceToken } from '@servicedesk/platform/standalone';
import { ServiceTokenCache } from './service-token-cache';

const SECRET = 'unit-test-service-token-secret';
const agent: Identity = { userId: '6f1c2d3e-0000-4000-8000-000000000001', role: 'AGENT' };

function cacheWithClock(options: { ttlSeconds?: number; maxEntries?: number } = {}) {
  const clock = { now: 1_000_000 };
  const signed: Array<{ audience: string; identity: Identity | null }> = [];
  const cache = new ServiceTokenCache({
    secret: SECRET,
    issuer: 'gateway',
    now: () => clock.now,
    sign: (secret, tokenOptions) => {
      signed.push({ audience: tokenOptions.audience, identity: tokenOptions.identity });
      return signServiceToken(secret, tokenOptions);
    },
    ...options,
  });
  return { cache, clock, signed };
}

describe('ServiceTokenCache', () => {
  it('signs a token for the subgraph it is meant for, carrying the identity', async () => {
    const { cache } = cacheWithClock();

    const token = await cache.token('ticket', agent);

    await expect(verifyServiceToken(SECRET, token, 'ticket')).resolves.toEqual({
      issuer: 'gateway',
      identity: agent,
    });
    await expect(verifyServiceToken(SECRET, token, 'user')).rejects.toThrow();
  });

  it('reuses a token for two thirds of its lifetime, then signs a new one', async () => {
    const { cache, clock, signed } = cacheWithClock({ ttlSeconds: 60 });

    await cache.token('ticket', agent);
    clock.now += 39_000;
    await cache.token('ticket', agent);
    expect(signed).toHaveLength(1);

    clock.now += 2_000;
    await cache.token('ticket', agent);
    expect(signed).toHaveLength(2);
  });

  it('keeps tokens apart per subgraph, per identity and for anonymous callers', async () => {
    const { cache, signed } = cacheWithClock();
    const admin: Identity = { ...agent, role: 'ADMIN' };

    await Promise.all([
      cache.token('ticket', agent),
      cache.token('user', agent),
      cache.token('ticket', admin),
      cache.token('ticket', null),
      cache.token('ticket', agent),
    ]);

    expect(signed).toEqual([
      { audience: 'ticket', identity: agent },
      { audience: 'user', identity: agent },
      { audience: 'ticket', identity: admin },
      { audience: 'ticket', identity: null },
    ]);
  });

  it('holds at most maxEntries tokens, dropping the least recently signed', async () => {
    const { cache, signed } = cacheWithClock({ maxEntries: 2 });

    await cache.token('user', null);
    await cache.token('ticket', null);
    await cache.token('audit', null);
    await cache.token('ticket', null);
    await cache.token('user', null);

    expect(cache.size).toBe(2);
    expect(signed.map((call) => call.audience)).toEqual(['user', 'ticket', 'audit', 'user']);
  });
});
