import {
  KeyObject,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { JSONWebKeySet, JWK, calculateJwkThumbprint, exportJWK } from 'jose';

/**
 * The keys access tokens are signed with. One current key signs; the JWKS publishes its
 * public half together with previous public keys, so tokens signed before a rotation
 * still verify until they expire. Ed25519 (EdDSA) and P-256 (ES256) keys are supported.
 */
export type SigningAlgorithm = 'EdDSA' | 'ES256';

export interface PublicKeyConfig {
  kid: string;
  pem: string;
}

export interface KeyRingConfig {
  /** PKCS8 PEM; absent outside production means "generate a key for this process". */
  privateKeyPem?: string;
  /** Defaults to the key's RFC 7638 thumbprint. */
  keyId?: string;
  previousPublicKeys: PublicKeyConfig[];
}

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
}

function algorithmOf(key: KeyObject): SigningAlgorithm | null {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ES256';
  return null;
}

/** PEM from an environment file often arrives with literal "\n" escapes. */
export function normalizePem(pem: string): string {
  return pem.replace(/\\n/g, '\n').trim();
}

const UNSUPPORTED = 'must be an Ed25519 or P-256 (ES256) key';

/** Why `pem` cannot be used as the signing key, or null. */
export function privateKeyProblem(pem: string): string | null {
  try {
    const key = createPrivateKey(normalizePem(pem));
    return algorithmOf(key) ? null : UNSUPPORTED;
  } catch {
    return 'must be a private key in PKCS8 PEM ("-----BEGIN PRIVATE KEY-----")';
  }
}

/** Why `pem` cannot be published as a verification key, or null. */
export function publicKeyProblem(pem: string): string | null {
  try {
    const key = createPublicKey(normalizePem(pem));
    return algorithmOf(key) ? null : UNSUPPORTED;
  } catch {
    return 'must be a public key in SPKI PEM ("-----BEGIN PUBLIC KEY-----")';
  }
}

async function publicJwk(key: KeyObject, kid: string): Promise<JWK> {
  const alg = algorithmOf(key);
  if (!alg) throw new Error(`key ${kid} ${UNSUPPORTED}`);
  const { kty, crv, x, y } = await exportJWK(key);
  return { kty, crv, x, ...(y ? { y } : {}), kid, alg, use: 'sig' };
}

export class KeyRing {
  private constructor(
    readonly signingKey: SigningKey,
    private readonly published: JSONWebKeySet,
    /** True when the key was generated for this process: tokens die with it. */
    readonly ephemeral: boolean,
  ) {}

  static async create(config: KeyRingConfig): Promise<KeyRing> {
    const ephemeral = config.privateKeyPem === undefined;
    const privateKey = ephemeral
      ? generateKeyPairSync('ed25519').privateKey
      : createPrivateKey(normalizePem(config.privateKeyPem!));
    const alg = algorithmOf(privateKey);
    if (!alg) throw new Error(`JWT_PRIVATE_KEY ${UNSUPPORTED}`);
    const publicKey = createPublicKey(privateKey);
    const kid = ephemeral
      ? `ephemeral-${randomBytes(8).toString('hex')}`
      : (config.keyId ?? (await calculateJwkThumbprint(await exportJWK(publicKey))));

    const keys = [await publicJwk(publicKey, kid)];
    for (const previous of config.previousPublicKeys) {
      if (keys.some((key) => key.kid === previous.kid)) {
        throw new Error(`JWT_PREVIOUS_PUBLIC_KEYS: key id "${previous.kid}" is used twice`);
      }
      keys.push(await publicJwk(createPublicKey(normalizePem(previous.pem)), previous.kid));
    }
    return new KeyRing({ kid, alg, privateKey }, { keys }, ephemeral);
  }

  /** The public JSON Web Key Set: what verifiers fetch from /.well-known/jwks.json. */
  jwks(): JSONWebKeySet {
    return this.published;
  }
}
