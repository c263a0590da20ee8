import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TABLES } from '../database/tables';
import type { NotificationChannel, NotificationStatus } from '../rules/categories';
import type { NotificationCursor } from './notification-cursor';
import {
  NOTIFICATION_COLUMNS,
  Notification,
  notificationColumnNames,
  notificationColumns,
  typedPlaceholder,
} from './notification';

/** Which notifications a list shows; every given criterion must hold. */
export interface NotificationFilter {
  recipientId?: string;
  status?: NotificationStatus;
  channel?: NotificationChannel;
  unreadOnly?: boolean;
}

/** One attempt at an email, as `claimEmails` took it: the row and its attempt count then. */
export type Claim = Pick<Notification, 'id' | 'attempts'>;

/** When a claim was taken and how long it lasts (see `delivery/email-lease.ts`). */
export interface LeaseWindow {
  claimedAt: Date;
  until: Date;
}

export interface NotificationPageQuery {
  filter: NotificationFilter;
  after?: NotificationCursor;
  limit: number;
}

const COLUMNS = notificationColumns('n');

/** An email no attempt holds a lease on (`claimEmails`) at `now`: free, or its sender died mid-send. */
const notBeingSent = (now: string) => `(sending_until IS NULL OR sending_until <= ${now})`;

/** Every statement on `notification.notifications`. Writes take the transaction's manager. */
@Injectable()
export class NotificationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Inserts the rows that do not exist yet (per event, recipient and channel) and returns
   * those it inserted, in one statement. Nobody erased is notified, even by an event that was
   * on its way: the recipients' directory rows are locked first (in id order), so an erasure
   * running at the same time either waits for these rows and deletes them, or committed
   * before, and then the lock reads its tombstone and the row is not inserted.
   */
  async insertNew(manager: EntityManager, rows: Notification[]): Promise<Notification[]> {
    if (rows.length === 0) return [];
    const columns = notificationColumnNames();
    const values: unknown[] = [[...new Set(rows.map((row) => row.recipientId))]];
    const tuples = rows.map((row) => {
      const placeholders = NOTIFICATION_COLUMNS.map((property) => {
        values.push(row[property]);
        return typedPlaceholder(property, values.length);
      });
      return `(${placeholders.join(', ')})`;
    });
    return queryRows<Notification>(
      manager,
      `WITH alive AS (
         SELECT id FROM ${TABLES.recipients}
         WHERE id = ANY($1::uuid[]) AND erased_at IS NULL ORDER BY id FOR SHARE
       )
       INSERT INTO ${TABLES.notifications} AS n (${columns.join(', ')})
       SELECT * FROM (VALUES ${tuples.join(', ')}) AS v(${columns.join(', ')})
       WHERE v.recipient_id IN (SELECT id FROM alive)
       ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
       RETURNING ${COLUMNS}`,
      values,
    );
  }

  async findPage(query: NotificationPageQuery): Promise<Notification[]> {
    const values: unknown[] = [];
    const add = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const conditions: string[] = [];
    const { filter } = query;
    if (filter.recipientId) conditions.push(`n.recipient_id = ${add(filter.recipientId)}::uuid`);
    if (filter.status) conditions.push(`n.status = ${add(filter.status)}`);
    if (filter.channel) conditions.push(`n.channel = ${add(filter.channel)}`);
    // Read and unread are the in-app inbox's notions (see `unreadCount`, `markAllRead`).
    if (filter.unreadOnly) conditions.push(`n.channel = 'IN_APP' AND n.read_at IS NULL`);
    if (query.after) {
      conditions.push(
        `(n.created_at, n.id) < (${add(query.after.createdAt)}::timestamptz, ${add(query.after.id)}::uuid)`,
      );
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    return queryRows<Notification>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM ${TABLES.notifications} n ${where}
       ORDER BY n.created_at DESC, n.id DESC LIMIT ${add(query.limit + 1)}::int`,
      values,
    );
  }

  async findById(manager: EntityManager, id: string): Promise<Notification | undefined> {
    const [row] = await queryRows<Notification>(
      manager,
      `SELECT ${COLUMNS} FROM ${TABLES.notifications} n WHERE n.id = $1`,
      [id],
    );
    return row;
  }

  async unreadCount(recipientId: string): Promise<number> {
    const [row] = await queryRows<{ count: number }>(
      this.dataSource.manager,
      `SELECT count(*)::int AS count FROM ${TABLES.notifications}
       WHERE recipient_id = $1 AND channel = 'IN_APP' AND read_at IS NULL`,
      [recipientId],
    );
    return row.count;
  }

  /** Marks one of the recipient's notifications read (once: the first time stays). */
  async markRead(recipientId: string, id: string, now: Date): Promise<Notification | undefined> {
    const [row] = await queryRows<Notification>(
      this.dataSource.manager,
      `UPDATE ${TABLES.notifications} n SET read_at = COALESCE(n.read_at, $3)
       WHERE n.id = $1 AND n.recipient_id = $2
       RETURNING ${COLUMNS}`,
      [id, recipientId, now],
    );
    return row;
  }

  /** How many unread in-app notifications of the recipient it marked read. */
  async markAllRead(recipientId: string, now: Date): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource.manager,
      `UPDATE ${TABLES.notifications} SET read_at = $2
       WHERE recipient_id = $1 AND channel = 'IN_APP' AND read_at IS NULL
       RETURNING id`,
      [recipientId, now],
    );
    return rows.length;
  }

  /**
   * Claims, in one statement, every email of `eventIds` that is due at the lease's start and
   * not being sent, as `claimEmails` does; for the events of `reopenEventIds` (their messages
   * were replayed from the DLQ), their FAILED ones too, with a fresh budget of attempts of
   * which this is the first.
   */
  async claimDueEmailsOfEvents(
    manager: EntityManager,
    eventIds: readonly string[],
    reopenEventIds: readonly string[],
    lease: LeaseWindow,
  ): Promise<Notification[]> {
    if (eventIds.length === 0) return [];
    return queryRows<Notification>(
      manager,
      `UPDATE ${TABLES.notifications} n SET
         attempts = CASE WHEN n.status = 'FAILED' THEN 1 ELSE n.attempts + 1 END,
         deliver_after = CASE WHEN n.status = 'FAILED' THEN $2 ELSE n.deliver_after END,
         status = 'PENDING', sending_until = $3
       WHERE n.source_event_id = ANY($1::uuid[]) AND n.channel = 'EMAIL'
         AND ((n.status = 'PENDING' AND n.deliver_after <= $2 AND ${notBeingSent('$2')})
              OR (n.status = 'FAILED' AND n.source_event_id = ANY($4::uuid[])))
       RETURNING ${COLUMNS}`,
      [eventIds, lease.claimedAt, lease.until, reopenEventIds],
    );
  }

  /** Makes one FAILED email due again with a fresh budget of attempts; undefined if it is not one. */
  async reopenFailed(
    manager: EntityManager,
    id: string,
    now: Date,
  ): Promise<Notification | undefined> {
    const [row] = await queryRows<Notification>(
      manager,
      `UPDATE ${TABLES.notifications} n SET status = 'PENDING', attempts = 0, deliver_after = $2
       WHERE n.id = $1 AND n.channel = 'EMAIL' AND n.status = 'FAILED'
       RETURNING ${COLUMNS}`,
      [id, now],
    );
    return row;
  }

  /** Pending emails due at `now` and not being sent, oldest due first, strictly after `after` (keyset). */
  async dueEmails(
    manager: EntityManager,
    now: Date,
    limit: number,
    after?: { deliverAfter: Date; id: string },
  ): Promise<Array<{ id: string; deliverAfter: Date }>> {
    return queryRows(
      manager,
      `SELECT id, deliver_after AS "deliverAfter" FROM ${TABLES.notifications}
       WHERE status = 'PENDING' AND channel = 'EMAIL' AND deliver_after <= $1 AND ${notBeingSent('$1')}
         AND ($3::timestamptz IS NULL OR (deliver_after, id) > ($3::timestamptz, $4::uuid))
       ORDER BY deliver_after, id LIMIT $2`,
      [now, limit, after?.deliverAfter ?? null, after?.id ?? null],
    );
  }

  /**
   * Claims pending emails for one attempt at sending each, until `lease.until`, in one
   * statement: counts the attempt and leases the row, atomically, so of two claimers only
   * one gets it. Leaves out those sent, failed, gone (erased), or leased to another sender.
   * The caller commits the claim before it sends; the row's `attempts` then identifies the
   * claim to `settle…` below.
   */
  async claimEmails(
    manager: EntityManager,
    ids: readonly string[],
    lease: LeaseWindow,
  ): Promise<Notification[]> {
    if (ids.length === 0) return [];
    return queryRows<Notification>(
      manager,
      `UPDATE ${TABLES.notifications} n SET attempts = n.attempts + 1, sending_until = $3
       WHERE n.id = ANY($1::uuid[]) AND n.channel = 'EMAIL' AND n.status = 'PENDING'
         AND ${notBeingSent('$2')}
       RETURNING ${COLUMNS}`,
      [ids, lease.claimedAt, lease.until],
    );
  }

  /**
   * Records that the claimed attempts sent their emails, in one statement; returns the ids
   * recorded. One is left out when its claim is no longer the row's (it expired and another
   * attempt took over, or the person was erased): the caller then reports nothing of it, so
   * a mail is reported sent once.
   */
  async settleSent(manager: EntityManager, claims: readonly Claim[], now: Date): Promise<string[]> {
    if (claims.length === 0) return [];
    const rows = await queryRows<{ id: string }>(
      manager,
      `UPDATE ${TABLES.notifications} n SET status = 'SENT', sent_at = $3, sending_until = NULL
       FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts)
       WHERE n.id = c.id AND n.attempts = c.attempts AND n.status = 'PENDING'
       RETURNING n.id`,
      [claims.map((claim) => claim.id), claims.map((claim) => claim.attempts), now],
    );
    return rows.map((row) => row.id);
  }

  /** Records a failed attempt; the email stays pending, due again at `deliverAfter` if given. */
  async settleRetry(
    manager: EntityManager,
    claim: Claim,
    error: string,
    deliverAfter: Date | null,
  ): Promise<boolean> {
    return this.settle(
      manager,
      claim,
      `last_error = $3, deliver_after = COALESCE($4::timestamptz, deliver_after)`,
      [error, deliverAfter],
    );
  }

  /** Records a failed attempt after which the email is given up: FAILED. */
  async settleFailed(manager: EntityManager, claim: Claim, error: string): Promise<boolean> {
    return this.settle(manager, claim, `status = 'FAILED', last_error = $3`, [error]);
  }

  /** Ends the claim's lease with `changes` (whose parameters start at $3), if it is still its. */
  private async settle(
    manager: EntityManager,
    claim: Claim,
    changes: string,
    values: unknown[],
  ): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      manager,
      `UPDATE ${TABLES.notifications} SET ${changes}, sending_until = NULL
       WHERE id = $1 AND attempts = $2 AND status = 'PENDING'
       RETURNING id`,
      [claim.id, claim.attempts, ...values],
    );
    return rows.length > 0;
  }
}
