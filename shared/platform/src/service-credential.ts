import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { ROLES, Role } from '@servicedesk/contracts';
import { Identity } from './context';
import { UnauthenticatedError } from './errors';
import { VerifiedTokenCache } from './verified-token-cache';

/** Headers a caller inside the platform sends with every subgraph request. */
export const SERVICE_NAME_HEADER = 'x-service-name';
export const SERVICE_TOKEN_HEADER = 'x-service-token';
export const CORRELATION_ID_HEADER = 'x-correlation-id';

const ALGORITHM = 'HS256';
const DEFAULT_TTL_SECONDS = 60;

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export interface ServiceTokenOptions {
  issuer: string;
  audience: string;
  identity: Identity | null;
  ttlSeconds?: number;
}

/**
 * A short-lived credential that says "service `issuer` calls `audience` on behalf of
 * `identity`". The identity travels inside the signature, so a subgraph trusts it only as
 * far as it trusts the caller's secret.
 */
export async function signServiceToken(
  secret: string,
  options: ServiceTokenOptions,
): Promise<string> {
  const jwt = new SignJWT(options.identity ? { role: options.identity.role } : {})
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? DEFAULT_TTL_SECONDS}s`);
  if (options.identity) jwt.setSubject(options.identity.userId);
  return jwt.sign(keyOf(secret));
}

export interface VerifiedServiceCall {
  issuer: string;
  identity: Identity | null;
}

export async function verifyServiceToken(
  secret: string,
  token: string,
  audience: string,
): Promise<VerifiedServiceCall> {
  return (await verify(keyOf(secret), token, audience, new Date())).call;
}

async function verify(
  key: Uint8Array,
  token: string,
  audience: string,
  currentDate: Date,
): Promise<{ call: VerifiedServiceCall; expiresAt: number }> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      audience,
      requiredClaims: ['iss', 'exp', 'iat'],
      currentDate,
    });
    const issuer = payload.iss as string;
    const expiresAt = payload.exp as number;
    const role = payload.role;
    if (payload.sub === undefined) return { call: { issuer, identity: null }, expiresAt };
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw new UnauthenticatedError('service credential carries no valid role');
    }
    return { call: { issuer, identity: { userId: payload.sub, role: role as Role } }, expiresAt };
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    const reason = error instanceof joseErrors.JOSEError ? error.code : 'malformed';
    throw new UnauthenticatedError(`invalid service credential (${reason})`);
  }
}

/**
 * `verifyServiceToken` for one secret and audience, remembering each token that verified
 * until it expires: a caller reuses its token for many calls (the gateway for most of its
 * minute), and checking the signature again would give the same answer. A refused token is
 * checked anew every time.
 */
export function serviceTokenVerifier(
  secret: string,
  audience: string,
  options: { maxEntries?: number; now?: () => number } = {},
): (token: string) => Promise<VerifiedServiceCall> {
  const key = keyOf(secret);
  const now = options.now ?? Date.now;
  const verified = new VerifiedTokenCache<VerifiedServiceCall>({ ...options, now });
  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    const { call, expiresAt } = await verify(key, token, audience, new Date(now()));
    verified.set(token, call, expiresAt);
    return call;
  };
}
