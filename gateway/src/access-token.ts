import { ROLES, Role } from '@servicedesk/contracts';
import { DependencyBreaker, Identity, VerifiedTokenCache } from '@servicedesk/platform/standalone';
import {
  JWKSCacheInput,
  JWTVerifyGetKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwksCache,
  jwtVerify,
} from 'jose';
import type { Logger } from 'pino';

/** The user service signs with an asymmetric key; nothing else (no HS*, never `none`). */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256'];

/** The token is present but not acceptable: the request is refused as unauthenticated. */
export class InvalidAccessTokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid access token (${reason})`);
    this.name = 'InvalidAccessTokenError';
  }
}

/** The key set could not be fetched, so the token can be neither accepted nor refused. */
export class KeySetUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      `the access-token key set is unreachable (${cause instanceof Error ? cause.message : String(cause)})`,
      {
        cause,
      },
    );
    this.name = 'KeySetUnavailableError';
  }
}

export interface AccessTokenVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Bound on one key-set fetch, so an unreachable user service never hangs a request. */
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  /** Every fetch of the key set goes through it: while it is open, none is attempted. */
  breaker: DependencyBreaker;
  logger: Logger;
  /** Bound on the tokens remembered as verified; defaults to 10,000. */
  maxVerifiedTokens?: number;
}

export type AccessTokenVerifier = (authorization: string | undefined) => Promise<Identity | null>;

const isKeyLookupFailure = (error: unknown) =>
  error instanceof joseErrors.JWKSNoMatchingKey ||
  error instanceof joseErrors.JWKSMultipleMatchingKeys;

/** The key set as last fetched: which fetch it is, and whether it is still within its max age. */
interface KeySetState {
  /** When the current keys were fetched (ms), undefined before the first fetch; each fetch changes it. */
  version(): number | undefined;
  fresh(): boolean;
}

/**
 * Resolves the verification key from the remote key set (cached; an unknown `kid` triggers a
 * refetch at most once per cooldown, which is how a rotated key is picked up). When the key
 * set cannot be fetched but was fetched before, the last known keys keep serving: tokens the
 * user service issued stay verifiable while it restarts. Fetches go through the key set's
 * circuit breaker, so an unreachable user service is not waited on by every request.
 */
function keyResolver(options: AccessTokenVerifierOptions): {
  getKey: JWTVerifyGetKey;
  keySet: KeySetState;
} {
  // jose records each fetch here (its time and keys).
  const fetched: JWKSCacheInput = {};
  const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    [jwksCache]: fetched,
    [customFetch]: (url, init) =>
      options.breaker.call(async () => {
        const response = await fetch(url, init);
        // jose refuses any other answer too; thrown here, it also counts against the key set.
        if (response.status !== 200) {
          await response.body?.cancel();
          throw new Error(`the key set answered HTTP ${response.status}`);
        }
        return response;
      }),
  });
  const keySet: KeySetState = {
    version: () => ('uat' in fetched ? fetched.uat : undefined),
    fresh: () => remote.fresh,
  };
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (isKeyLookupFailure(error)) throw error;
      const lastKnown = remote.jwks();
      if (lastKnown) {
        options.logger.warn(
          { err: error },
          'access-token key set unreachable, using the last known keys',
        );
        try {
          return await createLocalJWKSet(lastKnown)(header, token);
        } catch (localError) {
          // An unknown kid may be a key rotated in while the key set was unreachable.
          if (isKeyLookupFailure(localError)) throw new KeySetUnavailableError(error);
          throw localError;
        }
      }
      throw new KeySetUnavailableError(error);
    }
  };
  return { getKey, keySet };
}

function identityFrom(payload: { sub?: string; role?: unknown }): Identity {
  if (!payload.sub) throw new InvalidAccessTokenError('no subject');
  if (typeof payload.role !== 'string' || !(ROLES as readonly string[]).includes(payload.role)) {
    throw new InvalidAccessTokenError('no valid role');
  }
  return { userId: payload.sub, role: payload.role as Role };
}

/**
 * Verifies `Authorization: Bearer <jwt>`: signature against the user service's key set,
 * algorithm, issuer, audience and expiry. No header means an anonymous caller (null);
 * anything else that does not verify throws InvalidAccessTokenError, and an unreachable
 * key set throws KeySetUnavailableError.
 *
 * A token that verified is remembered until its expiry, for as long as the key set that
 * verified it is the current one and within its max age: past that, the token goes through
 * the whole check again (which refetches the keys), so a retired key stops being honoured
 * exactly when it did without the memory. Refused tokens are never remembered.
 */
export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): AccessTokenVerifier {
  const { getKey, keySet } = keyResolver(options);
  const verified = new VerifiedTokenCache<Identity>({ maxEntries: options.maxVerifiedTokens });
  return async (authorization) => {
    if (authorization === undefined || authorization.trim() === '') return null;
    const match = /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/i.exec(authorization);
    if (!match) throw new InvalidAccessTokenError('not a bearer token');
    const token = match[1];
    const version = keySet.version();
    if (version !== undefined && keySet.fresh()) {
      const identity = verified.get(token, version);
      if (identity) return identity;
    }
    try {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms: ACCESS_TOKEN_ALGORITHMS,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'sub'],
      });
      const identity = identityFrom(payload);
      const verifiedBy = keySet.version();
      // Not when the keys were fetched anew meanwhile (which set verified it?), nor when they
      // came from the last known set while the key set is unreachable (not fresh).
      if (verifiedBy !== undefined && verifiedBy === version && keySet.fresh()) {
        verified.set(token, identity, payload.exp!, verifiedBy);
      }
      return identity;
    } catch (error) {
      if (error instanceof KeySetUnavailableError || error instanceof InvalidAccessTokenError)
        throw error;
      if (error instanceof joseErrors.JOSEError) throw new InvalidAccessTokenError(error.code);
      // Key-set failures were wrapped above, so what is left is a token jose could not even decode.
      throw new InvalidAccessTokenError('malformed');
    }
  };
}
