import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Role } from '@servicedesk/contracts';
import { TABLES } from '../database/tables';

/** A user as the directory knows them. */
export interface KnownUser {
  role: Role;
  erased: boolean;
}

/**
 * The appointment service's own record of users and their roles, fed by `user.*` events.
 * Events may arrive late or out of order (retries), so each change carries the time it
 * happened and an older fact never overwrites a newer one; an erasure is final.
 */
@Injectable()
export class UserDirectory {
  /** Whether `userId` is a current agent: someone with a calendar that can be booked. */
  async isAgent(manager: EntityManager, userId: string): Promise<boolean> {
    const rows = await queryRows(
      manager,
      `SELECT 1 FROM ${TABLES.knownUsers} WHERE id = $1 AND role = 'AGENT' AND erased_at IS NULL`,
      [userId],
    );
    return rows.length > 0;
  }

  /**
   * What the directory knows of `userId`, held (FOR SHARE) until the transaction ends. A command
   * that writes something about people checks them this way: an erasure updates their entry,
   * so it waits for the command to commit and then finds (and scrubs) what it wrote, while a
   * command after an erasure sees the tombstone.
   */
  async heldEntry(manager: EntityManager, userId: string): Promise<KnownUser | undefined> {
    const [entry] = await queryRows<KnownUser>(
      manager,
      `SELECT role, erased_at IS NOT NULL AS erased FROM ${TABLES.knownUsers}
       WHERE id = $1 FOR SHARE`,
      [userId],
    );
    return entry;
  }

  async recordRole(manager: EntityManager, userId: string, role: Role, asOf: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.knownUsers} AS k (id, role, role_as_of) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, role_as_of = EXCLUDED.role_as_of
       WHERE k.erased_at IS NULL AND k.role_as_of <= EXCLUDED.role_as_of`,
      [userId, role, asOf],
    );
  }

  /** Keeps a tombstone (with the least-privileged role) so no late event revives the user. */
  async recordErasure(manager: EntityManager, userId: string, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.knownUsers} AS k (id, role, role_as_of, erased_at) VALUES ($1, 'CUSTOMER', $2, $2)
       ON CONFLICT (id) DO UPDATE SET role = 'CUSTOMER', erased_at = COALESCE(k.erased_at, EXCLUDED.erased_at)`,
      [userId, at],
    );
  }
}
