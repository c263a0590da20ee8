import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { EventPayload, Role } from '@servicedesk/contracts';
import { TABLES } from '../database/tables';

/** Someone the service can notify: known from `user.registered` and not erased. */
export interface Recipient {
  id: string;
  email: string;
  name: string;
  timeZone: string;
}

/** What the directory knows of the people and tickets an event names (see `lookUp`). */
export interface DirectoryView {
  /** Who can be notified (registered, not erased), by id. */
  recipients: Map<string, Recipient>;
  /**
   * Whose registration arrived, erased people included; anyone else may still be on their
   * way, since events of different people are not ordered.
   */
  known: Set<string>;
  ticketTitles: Map<string, string>;
}

/** A row of `lookUp`: a person (`erased` set) or a ticket (`erased` null). */
interface DirectoryRow {
  id: string;
  email: string | null;
  name: string | null;
  timeZone: string | null;
  erased: boolean | null;
  title: string | null;
}

/**
 * The service's own record of people and ticket titles, fed by events. Events may arrive
 * late or out of order, so each fact carries the time it happened and an older one never
 * overwrites a newer one; an erasure is final and leaves only a tombstone.
 */
@Injectable()
export class RecipientDirectory {
  async recordRegistration(
    manager: EntityManager,
    user: EventPayload<'user.registered'>,
    asOf: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.recipients} AS r (id, email, name, time_zone, profile_as_of, role, role_as_of)
       VALUES ($1, $2, $3, $4, $5, $6, $5)
       ON CONFLICT (id) DO UPDATE SET
         email = CASE WHEN r.profile_as_of IS NULL OR r.profile_as_of <= EXCLUDED.profile_as_of
                      THEN EXCLUDED.email ELSE r.email END,
         name = CASE WHEN r.profile_as_of IS NULL OR r.profile_as_of <= EXCLUDED.profile_as_of
                     THEN EXCLUDED.name ELSE r.name END,
         time_zone = CASE WHEN r.profile_as_of IS NULL OR r.profile_as_of <= EXCLUDED.profile_as_of
                          THEN EXCLUDED.time_zone ELSE r.time_zone END,
         profile_as_of = GREATEST(r.profile_as_of, EXCLUDED.profile_as_of),
         role = CASE WHEN r.role_as_of IS NULL OR r.role_as_of <= EXCLUDED.role_as_of
                     THEN EXCLUDED.role ELSE r.role END,
         role_as_of = GREATEST(r.role_as_of, EXCLUDED.role_as_of)
       WHERE r.erased_at IS NULL`,
      [user.userId, user.email, user.name, user.timeZone, asOf, user.role],
    );
  }

  async recordRole(manager: EntityManager, userId: string, role: Role, asOf: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.recipients} AS r (id, role, role_as_of) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET role = EXCLUDED.role, role_as_of = EXCLUDED.role_as_of
       WHERE r.erased_at IS NULL AND (r.role_as_of IS NULL OR r.role_as_of <= EXCLUDED.role_as_of)`,
      [userId, role, asOf],
    );
  }

  /**
   * Forgets a person: their notifications, preferences and the titles of the tickets they
   * requested go, and only a tombstone (id, erased_at) stays, so no late event notifies
   * or brings them back.
   */
  async erase(manager: EntityManager, userId: string, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.recipients} AS r (id, erased_at) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET email = NULL, name = NULL, time_zone = NULL,
         profile_as_of = NULL, role = NULL, role_as_of = NULL,
         erased_at = COALESCE(r.erased_at, EXCLUDED.erased_at)`,
      [userId, at],
    );
    await manager.query(`DELETE FROM ${TABLES.notifications} WHERE recipient_id = $1`, [userId]);
    await manager.query(`DELETE FROM ${TABLES.preferences} WHERE user_id = $1`, [userId]);
    await manager.query(`DELETE FROM ${TABLES.tickets} WHERE requester_id = $1`, [userId]);
  }

  /** Tickets of erased requesters are not recorded: their titles are theirs. One statement. */
  async recordTickets(
    manager: EntityManager,
    tickets: ReadonlyArray<
      Pick<EventPayload<'ticket.created'>, 'ticketId' | 'title' | 'requesterId'>
    >,
  ): Promise<void> {
    if (tickets.length === 0) return;
    await manager.query(
      `INSERT INTO ${TABLES.tickets} (id, title, requester_id)
       SELECT t.id, t.title, t.requester_id
       FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS t(id, title, requester_id)
       WHERE NOT EXISTS (
         SELECT 1 FROM ${TABLES.recipients} r WHERE r.id = t.requester_id AND r.erased_at IS NOT NULL
       )
       ON CONFLICT (id) DO NOTHING`,
      [
        tickets.map((ticket) => ticket.ticketId),
        tickets.map((ticket) => ticket.title),
        tickets.map((ticket) => ticket.requesterId),
      ],
    );
  }

  /**
   * What notifying about some people and tickets needs to know of them, in one statement:
   * who of `personIds` can be notified, who is known at all, and the titles of `ticketIds`.
   */
  async lookUp(
    manager: EntityManager,
    personIds: readonly string[],
    ticketIds: readonly string[],
  ): Promise<DirectoryView> {
    const view: DirectoryView = {
      recipients: new Map(),
      known: new Set(),
      ticketTitles: new Map(),
    };
    if (personIds.length === 0 && ticketIds.length === 0) return view;
    const rows = await queryRows<DirectoryRow>(
      manager,
      `SELECT id, email, name, time_zone AS "timeZone", erased_at IS NOT NULL AS erased, NULL AS title
       FROM ${TABLES.recipients} WHERE id = ANY($1::uuid[])
       UNION ALL
       SELECT id, NULL, NULL, NULL, NULL, title FROM ${TABLES.tickets} WHERE id = ANY($2::uuid[])`,
      [personIds, ticketIds],
    );
    for (const { id, email, name, timeZone, erased, title } of rows) {
      if (erased === null) {
        view.ticketTitles.set(id, title as string);
        continue;
      }
      // Only a role that overtook the registration is no way to reach someone.
      if (erased || email !== null) view.known.add(id);
      if (!erased && email !== null) {
        view.recipients.set(id, { id, email, name: name as string, timeZone: timeZone as string });
      }
    }
    return view;
  }

  /** The time zone quiet hours are read in; null until the person is known. */
  async timeZoneOf(manager: EntityManager, userId: string): Promise<string | null> {
    const [row] = await queryRows<{ timeZone: string | null }>(
      manager,
      `SELECT time_zone AS "timeZone" FROM ${TABLES.recipients} WHERE id = $1 AND erased_at IS NULL`,
      [userId],
    );
    return row?.timeZone ?? null;
  }
}
