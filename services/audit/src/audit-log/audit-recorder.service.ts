import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope } from '@servicedesk/contracts';
import { LOGGER, Logger } from '@servicedesk/platform';
import { PermanentError } from '@servicedesk/messaging';
import { ChainEnd, ChainedAuditEntry, UnlinkedContent, chainAfter } from './audit-hash';
import { AuditEntry } from './audit-entry.entity';
import { PersonalDataVault } from '../personal-data/personal-data.vault';
import { subjectErasedBy } from '../personal-data/personal-payload';
import { JsonValue } from './canonical-json';

/**
 * Serialises every append to the chain, across consumers and replicas: held until the
 * appending transaction ends, so the next appender reads the head this one wrote. The key
 * is fixed forever (any process appending to this database must use the same one).
 */
export const AUDIT_CHAIN_LOCK = 'servicedesk.audit.chain';

/** The chain as the appender finds it under the lock, and the events of the batch already in it. */
interface ChainHead {
  seq: string | null;
  hash: string | null;
  now: Date;
  recorded: string[];
}

/** JSON as it comes back from jsonb: what the hash must be computed over. */
function asStoredJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function chainable(
  end: ChainEnd | null,
  contents: readonly UnlinkedContent[],
): ChainedAuditEntry[] {
  try {
    return chainAfter(end, contents);
  } catch (error) {
    // Only a payload JSON cannot carry faithfully gets here; no retry will change it.
    throw new PermanentError((error as Error).message, { cause: error });
  }
}

/** The columns of an INSERT of entries, each with the PostgreSQL type of its array of values. */
const COLUMNS: ReadonlyArray<
  [column: string, type: string, value: (entry: ChainedAuditEntry) => unknown]
> = [
  ['seq', 'bigint', (entry) => entry.seq],
  ['event_id', 'uuid', (entry) => entry.eventId],
  ['type', 'text', (entry) => entry.type],
  ['source', 'text', (entry) => entry.source],
  ['aggregate_type', 'text', (entry) => entry.aggregateType],
  ['aggregate_id', 'text', (entry) => entry.aggregateId],
  ['actor_id', 'uuid', (entry) => entry.actor?.id ?? null],
  ['actor_role', 'text', (entry) => entry.actor?.role ?? null],
  ['correlation_id', 'text', (entry) => entry.correlationId],
  ['occurred_at', 'timestamptz', (entry) => entry.occurredAt],
  ['recorded_at', 'timestamptz', (entry) => entry.recordedAt],
  ['payload', 'jsonb', (entry) => JSON.stringify(entry.payload)],
  ['prev_hash', 'text', (entry) => entry.prevHash],
  ['hash', 'text', (entry) => entry.hash],
];

@Injectable()
export class AuditRecorder {
  constructor(
    private readonly vault: PersonalDataVault,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Appends `events` to the chain, in order, inside the caller's transaction, their personal
   * data sealed (the hash covers the sealed form): the chain lock taken once, the head read
   * once, keys looked up and entries inserted with one statement each, whatever the number
   * of events. An event already in the log, or earlier in the batch, is skipped (the log
   * holds each event once, whatever path a duplicate took). Returns the new entries, in seq
   * order. One event is a batch of one: single appends and batches make the same chain.
   */
  async appendBatch(
    events: readonly EventEnvelope[],
    manager: EntityManager,
  ): Promise<ChainedAuditEntry[]> {
    if (events.length === 0) return [];
    const table = manager.getRepository(AuditEntry).metadata.tablePath;
    // Read the head only once the lock is held: in READ COMMITTED each statement sees what
    // was committed when it started, so a separate, later statement sees the last append.
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      AUDIT_CHAIN_LOCK,
    ]);
    const eventIds = events.map((event) => event.id.toLowerCase());
    const [head] = (await manager.query(
      `SELECT last.seq::text AS seq, last.hash,
              date_trunc('milliseconds', clock_timestamp()) AS now,
              ARRAY(SELECT event_id::text FROM ${table} WHERE event_id = ANY($1::uuid[])) AS recorded
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1) AS last ON true`,
      [eventIds],
    )) as ChainHead[];

    const seen = new Set(head.recorded);
    const fresh = events.filter((event, index) => {
      if (!seen.has(eventIds[index])) {
        seen.add(eventIds[index]);
        return true;
      }
      this.logger.debug({ eventId: event.id, type: event.type }, 'event already in the audit log');
      return false;
    });
    if (fresh.length === 0) return [];

    const payloads = await this.vault.sealAll(
      manager,
      fresh.map((event) => ({
        type: event.type,
        payload: asStoredJson(event.payload),
        erases: subjectErasedBy(event),
      })),
    );
    // The database clock, under the lock: recorded_at never goes back as seq goes up,
    // whichever replica appends.
    const recordedAt = head.now.toISOString();
    const entries = chainable(
      head.seq === null || head.hash === null ? null : { seq: head.seq, hash: head.hash },
      fresh.map((event, index) => ({
        eventId: event.id.toLowerCase(),
        type: event.type,
        source: event.source,
        aggregateType: event.aggregateType,
        aggregateId: event.aggregateId,
        actor: event.actor ? { id: event.actor.id.toLowerCase(), role: event.actor.role } : null,
        correlationId: event.correlationId,
        occurredAt: new Date(event.occurredAt).toISOString(),
        recordedAt,
        // Already JSON as jsonb gives it back: the payload above, some fields sealed.
        payload: payloads[index],
      })),
    );
    // One statement for the whole batch: each column travels as one array parameter.
    await manager.query(
      `INSERT INTO ${table} (${COLUMNS.map(([column]) => column).join(', ')})
       SELECT * FROM unnest(${COLUMNS.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ')})`,
      COLUMNS.map(([, , value]) => entries.map(value)),
    );
    return entries;
  }
}
