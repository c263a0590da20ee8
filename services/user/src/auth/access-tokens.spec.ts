import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Clock } from '@servicedesk/platform';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, AccessTokenSigner } from './access-tokens';
import { KeyRing } from './signing-keys';

const TTL_SECONDS = 900;
const subject = { id: '6f1d7c1e-6a8b-4a4e-9f53-1c7c3c1f0a11', role: 'AGENT' as const };
const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });

async function verify(token: string, ring: KeyRing, currentDate?: Date) {
  return jwtVerify(token, createLocalJWKSet(ring.jwks()), {
    issuer: ACCESS_TOKEN_ISSUER,
    audience: ACCESS_TOKEN_AUDIENCE,
    currentDate,
  });
}

describe('AccessTokenSigner', () => {
  let ring: KeyRing;
  beforeAll(async () => {
    ring = await KeyRing.create({ previousPublicKeys: [] });
  });

  it('signs a JWT naming its key, verifiable against the published JWKS', async () => {
    const { token, expiresIn } = await new AccessTokenSigner(ring, TTL_SECONDS, {
      now: () => new Date(),
    }).sign(subject);
    expect(expiresIn).toBe(TTL_SECONDS);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'EdDSA',
      kid: ring.signingKey.kid,
      typ: 'JWT',
    });
    const { payload } = await verify(token, ring);
    expect(payload).toEqual(
      expect.objectContaining({
        sub: subject.id,
        role: 'AGENT',
        iss: 'servicedesk-user',
        aud: 'servicedesk',
      }),
    );
    expect(payload.exp! - payload.iat!).toBe(TTL_SECONDS);
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('issues tokens that expire after the TTL', async () => {
    const issuedAt = '2025-01-01T10:00:00.000Z';
    const { token } = await new AccessTokenSigner(ring, TTL_SECONDS, fixedClock(issuedAt)).sign(
      subject,
    );
    await expect(verify(token, ring, new Date('2025-01-01T10:14:59.000Z'))).resolves.toBeDefined();
    await expect(verify(token, ring, new Date('2025-01-01T10:15:01.000Z'))).rejects.toThrow(
      /"exp" claim/,
    );
  });

  it('does not verify against a key set without its key', async () => {
    const other = await KeyRing.create({ previousPublicKeys: [] });
    const { token } = await new AccessTokenSigner(other, TTL_SECONDS, {
      now: () => new Date(),
    }).sign(subject);
    await expect(verify(token, ring)).rejects.toThrow();
  });

  it('keeps tokens of a rotated key valid while its public key is still published', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const old = generateKeyPairSync('ed25519');
    const oldRing = await KeyRing.create({
      privateKeyPem: old.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyId: 'old',
      previousPublicKeys: [],
    });
    const { token } = await new AccessTokenSigner(oldRing, TTL_SECONDS, {
      now: () => new Date(),
    }).sign(subject);
    const rotated = await KeyRing.create({
      keyId: 'new',
      privateKeyPem: generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      previousPublicKeys: [
        { kid: 'old', pem: old.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      ],
    });
    await expect(verify(token, rotated)).resolves.toBeDefined();
  });
});
