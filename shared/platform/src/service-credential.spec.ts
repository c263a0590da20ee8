import { SignJWT } from 'jose';
import { UnauthenticatedError } from './errors';
import { serviceTokenVerifier, signServiceToken } from './service-credential';

const SECRET = 'unit-test-service-token-secret';
const identity = { userId: '6f1c2d3e-0000-4000-8000-000000000001', role: 'AGENT' as const };

describe('serviceTokenVerifier', () => {
  it('answers the caller and the identity a token carries, again for the same token', async () => {
    const verify = serviceTokenVerifier(SECRET, 'ticket');
    const token = await signServiceToken(SECRET, {
      issuer: 'gateway',
      audience: 'ticket',
      identity,
    });

    await expect(verify(token)).resolves.toEqual({ issuer: 'gateway', identity });
    await expect(verify(token)).resolves.toEqual({ issuer: 'gateway', identity });
  });

  it('refuses a token for another audience or signed with another secret, every time', async () => {
    const verify = serviceTokenVerifier(SECRET, 'ticket');
    const forUser = await signServiceToken(SECRET, {
      issuer: 'gateway',
      audience: 'user',
      identity,
    });
    const forged = await signServiceToken('another-secret', {
      issuer: 'gateway',
      audience: 'ticket',
      identity,
    });

    for (const token of [forUser, forUser, forged, forged]) {
      await expect(verify(token)).rejects.toThrow(UnauthenticatedError);
    }
  });

  it('refuses a token it accepted once its expiry has passed', async () => {
    const clock = { now: Date.now() };
    const verify = serviceTokenVerifier(SECRET, 'ticket', { now: () => clock.now });
    const token = await signServiceToken(SECRET, {
      issuer: 'gateway',
      audience: 'ticket',
      identity,
      ttlSeconds: 60,
    });
    await verify(token);

    clock.now += 61_000;

    await expect(verify(token)).rejects.toThrow(UnauthenticatedError);
  });

  it('refuses a token whose role is not one of the platform’s', async () => {
    const verify = serviceTokenVerifier(SECRET, 'ticket');
    const token = await new SignJWT({ role: 'ROOT' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('gateway')
      .setAudience('ticket')
      .setSubject(identity.userId)
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(SECRET));

    await expect(verify(token)).rejects.toThrow('no valid role');
  });
});
