import { generateKeyPairSync } from 'node:crypto';
import { KeyRing, privateKeyProblem, publicKeyProblem } from './signing-keys';

function pemPair(type: 'ed25519' | 'p256' | 'rsa') {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : type === 'p256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

describe('KeyRing', () => {
  it('generates an ephemeral Ed25519 key when none is configured', async () => {
    const ring = await KeyRing.create({ previousPublicKeys: [] });
    expect(ring.ephemeral).toBe(true);
    expect(ring.signingKey.alg).toBe('EdDSA');
    expect(ring.jwks().keys).toEqual([
      expect.objectContaining({
        kty: 'OKP',
        crv: 'Ed25519',
        kid: ring.signingKey.kid,
        alg: 'EdDSA',
        use: 'sig',
      }),
    ]);
  });

  it('uses the configured key and key id, and never publishes the private part', async () => {
    const { privatePem } = pemPair('ed25519');
    const ring = await KeyRing.create({
      privateKeyPem: privatePem,
      keyId: 'key-2025',
      previousPublicKeys: [],
    });
    expect(ring.ephemeral).toBe(false);
    expect(ring.signingKey.kid).toBe('key-2025');
    expect(ring.jwks().keys[0]).not.toHaveProperty('d');
  });

  it('names the key by its thumbprint when no key id is configured', async () => {
    const { privatePem } = pemPair('ed25519');
    const first = await KeyRing.create({ privateKeyPem: privatePem, previousPublicKeys: [] });
    const second = await KeyRing.create({ privateKeyPem: privatePem, previousPublicKeys: [] });
    expect(first.signingKey.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.signingKey.kid).toBe(first.signingKey.kid);
  });

  it('signs with ES256 when given a P-256 key', async () => {
    const ring = await KeyRing.create({
      privateKeyPem: pemPair('p256').privatePem,
      keyId: 'ec',
      previousPublicKeys: [],
    });
    expect(ring.signingKey.alg).toBe('ES256');
    expect(ring.jwks().keys[0]).toEqual(
      expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256' }),
    );
  });

  it('accepts PEM whose line breaks were written as \\n escapes', async () => {
    const escaped = pemPair('ed25519').privatePem.replace(/\n/g, '\\n');
    await expect(
      KeyRing.create({ privateKeyPem: escaped, keyId: 'k', previousPublicKeys: [] }),
    ).resolves.toBeDefined();
  });

  it('publishes previous public keys after the current one', async () => {
    const previous = pemPair('p256');
    const ring = await KeyRing.create({
      privateKeyPem: pemPair('ed25519').privatePem,
      keyId: 'current',
      previousPublicKeys: [{ kid: 'previous', pem: previous.publicPem }],
    });
    expect(ring.jwks().keys.map((key) => [key.kid, key.alg])).toEqual([
      ['current', 'EdDSA'],
      ['previous', 'ES256'],
    ]);
  });

  it('refuses two keys with the same id', async () => {
    await expect(
      KeyRing.create({
        privateKeyPem: pemPair('ed25519').privatePem,
        keyId: 'same',
        previousPublicKeys: [{ kid: 'same', pem: pemPair('ed25519').publicPem }],
      }),
    ).rejects.toThrow(/"same" is used twice/);
  });
});

describe('key problems', () => {
  it('accepts Ed25519 and P-256 keys', () => {
    expect(privateKeyProblem(pemPair('ed25519').privatePem)).toBeNull();
    expect(publicKeyProblem(pemPair('p256').publicPem)).toBeNull();
  });

  it('rejects other key types and text that is not a key', () => {
    expect(privateKeyProblem(pemPair('rsa').privatePem)).toMatch(/Ed25519 or P-256/);
    expect(privateKeyProblem('not a key')).toMatch(/PKCS8 PEM/);
    expect(publicKeyProblem('not a key')).toMatch(/SPKI PEM/);
  });
});
