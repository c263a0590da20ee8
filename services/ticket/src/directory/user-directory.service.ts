import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Role } from '@servicedesk/contracts';
import { TABLES } from '../database/tables';

/** Advisory lock of one person: their erasure against what they write meanwhile. */
function personLockKey(userId: string): string {
  return `ticket.person:${userId.toLowerCase()}`;
}

/**
 * The ticket service's own record of users and their roles, fed by `user.*` events. Events
 * may arrive late or out of order (retries), so each change carries the time it happened
 * and an older fact never overwrites a newer one; an erasure is final.
 */
@Injectable()
export class UserDirectory {
  /** Whether `userId` is a current agent, i.e. someone a ticket may be assigned to. */
  async isAgent(manager: EntityManager, userId: string): Promise<boolean> {
    const rows = await queryRows(
      manager,
      `SELECT 1 FROM ${TABLES.knownUsers} WHERE id = $1 AND role = 'AGENT' AND erased_at IS NULL`,
      [userId],
    );
    return rows.length > 0;
  }

  /**
   * Whether `userId` was erased (their new tickets and comments are refused). When not, their
   * erasure waits for the caller's transaction to end (see `recordErasure`), so what the
   * caller writes for them is committed before the erasure looks for it, never missed by it.
   */
  async isErasedHoldingOffErasure(manager: EntityManager, userId: string): Promise<boolean> {
    await manager.query('SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))', [
      personLockKey(userId),
    ]);
    const rows = await queryRows(
      manager,
      `SELECT 1 FROM ${TABLES.knownUsers} WHERE id = $1 AND erased_at IS NOT NULL`,
      [userId],
    );
    return rows.length > 0;
  }

  async recordRole(manager: EntityManager, userId: string, role: Role, asOf: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.knownUsers} AS k (id, role, role_as_of) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, role_as_of = EXCLUDED.role_as_of
       WHERE k.erased_at IS NULL AND k.role_as_of <= EXCLUDED.role_as_of`,
      [userId, role, asOf],
    );
  }

  /**
   * Keeps a tombstone (with the least-privileged role) so no late event revives the user.
   * Waits for writes of theirs in progress (`isErasedHoldingOffErasure`) and holds off new
   * ones until the erasure commits: they then see the tombstone.
   */
  async recordErasure(manager: EntityManager, userId: string, at: Date): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      personLockKey(userId),
    ]);
    await manager.query(
      `INSERT INTO ${TABLES.knownUsers} AS k (id, role, role_as_of, erased_at) VALUES ($1, 'CUSTOMER', $2, $2)
       ON CONFLICT (id) DO UPDATE SET role = 'CUSTOMER', erased_at = COALESCE(k.erased_at, EXCLUDED.erased_at)`,
      [userId, at],
    );
  }
}
