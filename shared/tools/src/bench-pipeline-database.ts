import { Client } from 'pg';
import type { EventEnvelope } from '@servicedesk/contracts';
import { MessageHeaders, SqlRunner, messagingSchemas, outboxBacklog } from '@servicedesk/messaging';
import { quoteIdentifier } from '@servicedesk/platform';

/**
 * The pipeline benchmark's reads of the run's own database: when the audit log recorded an
 * event (`recorded_at`, stamped by the database as the entry is inserted), when the
 * notification service created its in-app row (`created_at`, stamped as the event is handled)
 * and which email notifications an event caused, plus the outbox rows the relay comparison
 * writes directly. Benchmarks look behind the services' backs; the services never do.
 */

/** The benchmark's own session, told apart from the services' in pg_stat_activity. */
const APPLICATION_NAME = 'servicedesk-bench';

export interface StageCounts {
  audited: number;
  inApp: number;
  emails: number;
}

export class PipelineDatabase {
  private readonly sql: SqlRunner = {
    query: async (text, parameters) => (await this.db.query(text, parameters)).rows,
  };

  private constructor(private readonly db: Client) {}

  static async open(databaseUrl: string): Promise<PipelineDatabase> {
    const db = new Client({ connectionString: databaseUrl, application_name: APPLICATION_NAME });
    await db.connect();
    return new PipelineDatabase(db);
  }

  close(): Promise<void> {
    return this.db.end();
  }

  /** Audit entries, in-app rows and email rows of the events `eventIds`. */
  async counts(eventIds: readonly string[]): Promise<StageCounts> {
    const { rows } = await this.db.query<StageCounts>(
      `SELECT
         (SELECT count(*) FROM audit.audit_entry WHERE event_id = ANY($1::uuid[]))::int AS audited,
         (SELECT count(*) FROM notification.notifications
           WHERE source_event_id = ANY($1::uuid[]) AND channel = 'IN_APP')::int AS "inApp",
         (SELECT count(*) FROM notification.notifications
           WHERE source_event_id = ANY($1::uuid[]) AND channel = 'EMAIL')::int AS emails`,
      [eventIds],
    );
    return rows[0];
  }

  /** When the audit log recorded each of `eventIds`, by event id (epoch ms). */
  async auditedAt(eventIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ event_id: string; recorded_at: Date }>(
      'SELECT event_id, recorded_at FROM audit.audit_entry WHERE event_id = ANY($1::uuid[])',
      [eventIds],
    );
    return new Map(rows.map((row) => [row.event_id, row.recorded_at.getTime()]));
  }

  /** When the in-app notification of each of `eventIds` was created, by event id (epoch ms). */
  async inAppCreatedAt(eventIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ source_event_id: string; created_at: Date }>(
      `SELECT source_event_id, min(created_at) AS created_at FROM notification.notifications
        WHERE source_event_id = ANY($1::uuid[]) AND channel = 'IN_APP'
        GROUP BY source_event_id`,
      [eventIds],
    );
    return new Map(rows.map((row) => [row.source_event_id, row.created_at.getTime()]));
  }

  /** The email notifications of `eventIds`: notification id → event id. */
  async emailNotifications(eventIds: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await this.db.query<{ id: string; source_event_id: string }>(
      `SELECT id, source_event_id FROM notification.notifications
        WHERE source_event_id = ANY($1::uuid[]) AND channel = 'EMAIL'`,
      [eventIds],
    );
    return new Map(rows.map((row) => [row.id, row.source_event_id]));
  }

  /** How many of `userIds` the notification service can write to (it heard of their registration). */
  async reachableRecipients(userIds: readonly string[]): Promise<number> {
    const { rows } = await this.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM notification.recipients
        WHERE id = ANY($1::uuid[]) AND email IS NOT NULL`,
      [userIds],
    );
    return rows[0].count;
  }

  /** Rows waiting in every outbox of the platform. */
  async pendingEvents(): Promise<number> {
    let pending = 0;
    for (const schema of await messagingSchemas(this.sql)) {
      pending += (await outboxBacklog(this.sql, schema)).pending;
    }
    return pending;
  }

  /** Rows waiting in `schema`'s outbox (its partial index makes this cheap to ask often). */
  async pendingIn(schema: string): Promise<number> {
    return (await outboxBacklog(this.sql, schema)).pending;
  }

  /**
   * Writes `envelopes` to `schema`'s outbox as its service would, in one statement, with the
   * headers a request without tracing gives them.
   */
  async insertOutboxRows(schema: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    await this.db.query(
      `INSERT INTO ${quoteIdentifier(schema)}.outbox
         (id, aggregate_type, aggregate_id, event_type, envelope, headers)
       SELECT (e->>'id')::uuid, e->>'aggregateType', e->>'aggregateId', e->>'type', e,
              jsonb_build_object($2::text, e->>'correlationId')
         FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(envelopes), MessageHeaders.correlationId],
    );
  }

  /** Of the rows `ids` of `schema`'s outbox: how many are published, and when the first round that published one began. */
  async published(
    schema: string,
    ids: readonly string[],
  ): Promise<{ published: number; firstRoundAt: number | null }> {
    const { rows } = await this.db.query<{ published: number; first: Date | null }>(
      `SELECT count(*)::int AS published, min(published_at) AS first
         FROM ${quoteIdentifier(schema)}.outbox WHERE id = ANY($1::uuid[]) AND status = 'PUBLISHED'`,
      [ids],
    );
    return { published: rows[0].published, firstRoundAt: rows[0].first?.getTime() ?? null };
  }
}
