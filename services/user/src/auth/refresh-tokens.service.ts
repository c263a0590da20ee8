import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { Tx } from '@servicedesk/messaging';
import { CLOCK, Clock } from '@servicedesk/platform';
import { RefreshTokenEntity } from './refresh-token.entity';
import {
  RefreshDecision,
  decideRefresh,
  generateRefreshToken,
  hashRefreshToken,
} from './refresh-token-rotation';

export const REFRESH_TOKEN_TTL_SECONDS = Symbol('REFRESH_TOKEN_TTL_SECONDS');

export type RotationOutcome =
  | { action: 'rotate'; userId: string; refreshToken: string }
  | (Extract<RefreshDecision, { action: 'revoke-family' }> & { userId: string; familyId: string })
  | Extract<RefreshDecision, { action: 'reject' }>;

/** Issues, rotates and revokes refresh tokens; every method runs in the caller's transaction. */
@Injectable()
export class RefreshTokens {
  constructor(
    @Inject(REFRESH_TOKEN_TTL_SECONDS) private readonly ttlSeconds: number,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A new token, of a new family unless `familyId` continues one. */
  async issue(
    tx: Tx,
    userId: string,
    familyId: string = randomUUID(),
  ): Promise<{ id: string; token: string }> {
    const token = generateRefreshToken();
    const now = this.clock.now();
    const id = randomUUID();
    await tx.manager.getRepository(RefreshTokenEntity).insert({
      id,
      familyId,
      userId,
      tokenHash: hashRefreshToken(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000),
      rotatedAt: null,
      replacedById: null,
      revokedAt: null,
    });
    return { id, token };
  }

  /**
   * Exchanges `token` for its successor. The row is locked, so of two concurrent uses one
   * rotates and the other is seen as reuse. Reuse revokes the family, which must be
   * committed even though the caller then fails the request.
   */
  async rotate(tx: Tx, token: string): Promise<RotationOutcome> {
    const tokens = tx.manager.getRepository(RefreshTokenEntity);
    const stored = await tokens.findOne({
      where: { tokenHash: hashRefreshToken(token) },
      lock: { mode: 'pessimistic_write' },
    });
    if (!stored) return { action: 'reject', reason: 'unknown' };
    const now = this.clock.now();
    const decision = decideRefresh(stored, now);
    if (decision.action === 'reject') return decision;
    if (decision.action === 'revoke-family') {
      await this.revokeFamily(tx, stored.familyId);
      return { ...decision, userId: stored.userId, familyId: stored.familyId };
    }
    const successor = await this.issue(tx, stored.userId, stored.familyId);
    await tokens.update({ id: stored.id }, { rotatedAt: now, replacedById: successor.id });
    return { action: 'rotate', userId: stored.userId, refreshToken: successor.token };
  }

  /** The account `token` was issued to, or null for an unknown token (nothing is locked). */
  async ownerOf(tx: Tx, token: string): Promise<string | null> {
    const stored = await tx.manager
      .getRepository(RefreshTokenEntity)
      .findOne({ select: { userId: true }, where: { tokenHash: hashRefreshToken(token) } });
    return stored?.userId ?? null;
  }

  /** Revokes the family `token` belongs to; false when the token is unknown. */
  async revokeFamilyOf(tx: Tx, token: string): Promise<boolean> {
    const stored = await tx.manager
      .getRepository(RefreshTokenEntity)
      .findOne({ select: { familyId: true }, where: { tokenHash: hashRefreshToken(token) } });
    if (!stored) return false;
    await this.revokeFamily(tx, stored.familyId);
    return true;
  }

  /** Revokes every token of every family of `userId`; returns how many were still live. */
  async revokeAllOf(tx: Tx, userId: string): Promise<number> {
    const result = await tx.manager
      .getRepository(RefreshTokenEntity)
      .update({ userId, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    return result.affected ?? 0;
  }

  private async revokeFamily(tx: Tx, familyId: string): Promise<void> {
    await tx.manager
      .getRepository(RefreshTokenEntity)
      .update({ familyId, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
  }
}
