import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TABLES } from '../database/tables';
import { ChannelChoice, NotificationPreferences, withDefaults } from './preferences';

interface PreferencesRow {
  userId: string;
  categories: Record<string, Partial<ChannelChoice>>;
  quietHoursStart: number | null;
  quietHoursEnd: number | null;
}

const COLUMNS = `user_id AS "userId", categories, quiet_hours_start AS "quietHoursStart",
                 quiet_hours_end AS "quietHoursEnd"`;

function toPreferences(row: PreferencesRow | undefined): NotificationPreferences {
  if (!row) return withDefaults({}, null);
  const quietHours =
    row.quietHoursStart === null || row.quietHoursEnd === null
      ? null
      : { start: row.quietHoursStart, end: row.quietHoursEnd };
  return withDefaults(row.categories, quietHours);
}

/** Storage of people's notification preferences (defaults for anyone without a row). */
@Injectable()
export class PreferencesRepository {
  async find(manager: EntityManager, userId: string): Promise<NotificationPreferences> {
    const [row] = await queryRows<PreferencesRow>(
      manager,
      `SELECT ${COLUMNS} FROM ${TABLES.preferences} WHERE user_id = $1`,
      [userId],
    );
    return toPreferences(row);
  }

  /**
   * The person's preferences, locked until the transaction ends, so concurrent changes
   * apply one after the other. Their row is created first if needed (a missing row locks
   * nothing). Undefined for an erased person: nothing of theirs may be stored again.
   */
  async findForUpdate(
    manager: EntityManager,
    userId: string,
    now: Date,
  ): Promise<NotificationPreferences | undefined> {
    await manager.query(
      `INSERT INTO ${TABLES.preferences} (user_id, updated_at)
       SELECT $1, $2 WHERE NOT EXISTS (
         SELECT 1 FROM ${TABLES.recipients} WHERE id = $1 AND erased_at IS NOT NULL
       )
       ON CONFLICT (user_id) DO NOTHING`,
      [userId, now],
    );
    const [row] = await queryRows<PreferencesRow>(
      manager,
      `SELECT ${COLUMNS} FROM ${TABLES.preferences} WHERE user_id = $1 FOR UPDATE`,
      [userId],
    );
    return row && toPreferences(row);
  }

  async findMany(
    manager: EntityManager,
    userIds: readonly string[],
  ): Promise<Map<string, NotificationPreferences>> {
    const rows =
      userIds.length === 0
        ? []
        : await queryRows<PreferencesRow>(
            manager,
            `SELECT ${COLUMNS} FROM ${TABLES.preferences} WHERE user_id = ANY($1::uuid[])`,
            [userIds],
          );
    const byUser = new Map(rows.map((row) => [row.userId, row]));
    return new Map(userIds.map((id) => [id, toPreferences(byUser.get(id))]));
  }

  async save(
    manager: EntityManager,
    userId: string,
    preferences: NotificationPreferences,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.preferences} (user_id, categories, quiet_hours_start, quiet_hours_end, updated_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id) DO UPDATE SET categories = EXCLUDED.categories,
         quiet_hours_start = EXCLUDED.quiet_hours_start, quiet_hours_end = EXCLUDED.quiet_hours_end,
         updated_at = EXCLUDED.updated_at`,
      [
        userId,
        JSON.stringify(preferences.categories),
        preferences.quietHours?.start ?? null,
        preferences.quietHours?.end ?? null,
        now,
      ],
    );
  }
}
