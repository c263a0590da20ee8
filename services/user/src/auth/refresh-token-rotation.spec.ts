import {
  REFRESH_TOKEN_FORMAT,
  RefreshTokenState,
  decideRefresh,
  generateRefreshToken,
  hashRefreshToken,
} from './refresh-token-rotation';

const now = new Date('2025-01-01T10:00:00.000Z');
const later = new Date('2025-01-31T10:00:00.000Z');
const earlier = new Date('2024-12-31T10:00:00.000Z');

function storedToken(overrides: Partial<RefreshTokenState> = {}): RefreshTokenState {
  return { expiresAt: later, rotatedAt: null, revokedAt: null, ...overrides };
}

describe('decideRefresh', () => {
  it('rotates a live token', () => {
    expect(decideRefresh(storedToken(), now)).toEqual({ action: 'rotate' });
  });

  it('rejects a token it does not know', () => {
    expect(decideRefresh(null, now)).toEqual({ action: 'reject', reason: 'unknown' });
  });

  it('revokes the family when an already rotated token comes back', () => {
    expect(decideRefresh(storedToken({ rotatedAt: earlier }), now)).toEqual({
      action: 'revoke-family',
      reason: 'reused',
    });
  });

  it('treats reuse of a rotated token as reuse even after it expired', () => {
    expect(decideRefresh(storedToken({ rotatedAt: earlier, expiresAt: earlier }), now).action).toBe(
      'revoke-family',
    );
  });

  it('rejects a token of a revoked family without doing anything more', () => {
    expect(decideRefresh(storedToken({ revokedAt: earlier, rotatedAt: earlier }), now)).toEqual({
      action: 'reject',
      reason: 'revoked',
    });
  });

  it('rejects an expired token, including at the exact expiry instant', () => {
    expect(decideRefresh(storedToken({ expiresAt: earlier }), now)).toEqual({
      action: 'reject',
      reason: 'expired',
    });
    expect(decideRefresh(storedToken({ expiresAt: now }), now).action).toBe('reject');
  });
});

describe('refresh token values', () => {
  it('are 32 random bytes in base64url, different every time', () => {
    const first = generateRefreshToken();
    expect(first).toMatch(REFRESH_TOKEN_FORMAT);
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
    expect(generateRefreshToken()).not.toBe(first);
  });

  it('are stored as a sha256 hex digest that does not contain the token', () => {
    const token = generateRefreshToken();
    const hash = hashRefreshToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRefreshToken(token)).toBe(hash);
    expect(hash).not.toContain(token);
  });
});
