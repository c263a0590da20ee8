import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh tokens are opaque random strings handed to the client once; only their hash is
 * stored. Every use rotates the token: the used one is marked rotated and a new one of
 * the same family replaces it. Presenting a rotated token again means two parties hold
 * the family, so the whole family is revoked.
 */
const TOKEN_BYTES = 32;
/** base64url of 32 bytes, without padding. */
export const REFRESH_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function generateRefreshToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What the decision needs to know about a stored token. */
export interface RefreshTokenState {
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
}

export type RefreshDecision =
  | { action: 'rotate' }
  | { action: 'revoke-family'; reason: 'reused' }
  | { action: 'reject'; reason: 'unknown' | 'revoked' | 'expired' };

export function decideRefresh(token: RefreshTokenState | null, now: Date): RefreshDecision {
  if (token === null) return { action: 'reject', reason: 'unknown' };
  if (token.revokedAt !== null) return { action: 'reject', reason: 'revoked' };
  if (token.rotatedAt !== null) return { action: 'revoke-family', reason: 'reused' };
  if (token.expiresAt.getTime() <= now.getTime()) return { action: 'reject', reason: 'expired' };
  return { action: 'rotate' };
}
