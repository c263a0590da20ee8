import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope } from '@servicedesk/contracts';
import { LOGGER, Logger } from '@servicedesk/platform';
import { PermanentError } from '@servicedesk/messaging';
import { AuditEntryContent, ChainedAuditEntry, GENESIS_HASH, chainEntry } from './audit-hash';
import { AuditEntry } from './audit-entry.entity';
import { PersonalDataVault } from '../personal-data/personal-data.vault';
import { JsonValue } from './canonical-json';

/**
 * Serialises every append to the chain, across consumers and replicas: held until the
 * appending transaction ends, so the next appender reads the head this one wrote. The key
 * is fixed forever (any process appending to this database must use the same one).
 */
export const AUDIT_CHAIN_LOCK = 'servicedesk.audit.chain';

interface ChainHead {
  seq: string | null;
  hash: string | null;
  now: Date;
  recorded: boolean;
}

/** JSON as it comes back from jsonb: what the hash must be computed over. */
function asStoredJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function chainable(content: AuditEntryContent): ChainedAuditEntry {
  try {
    return chainEntry(content);
  } catch (error) {
    // Only a payload JSON cannot carry faithfully gets here; no retry will change it.
    throw new PermanentError(`event ${content.eventId} cannot be hashed into the audit chain`, {
      cause: error,
    });
  }
}

@Injectable()
export class AuditRecorder {
  constructor(
    private readonly vault: PersonalDataVault,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Appends `event` to the chain inside the caller's transaction, its personal data sealed
   * (the hash covers the sealed form). Returns the new entry, or
   * null if the event is already in the log (the log holds each event once, whatever
   * path a duplicate took).
   */
  async append(event: EventEnvelope, manager: EntityManager): Promise<ChainedAuditEntry | null> {
    const table = manager.getRepository(AuditEntry).metadata.tablePath;
    // Read the head only once the lock is held: in READ COMMITTED each statement sees what
    // was committed when it started, so a separate, later statement sees the last append.
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      AUDIT_CHAIN_LOCK,
    ]);
    const eventId = event.id.toLowerCase();
    const [head] = (await manager.query(
      `SELECT last.seq::text AS seq, last.hash,
              date_trunc('milliseconds', clock_timestamp()) AS now,
              EXISTS (SELECT 1 FROM ${table} WHERE event_id = $1) AS recorded
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1) AS last ON true`,
      [eventId],
    )) as ChainHead[];
    if (head.recorded) {
      this.logger.debug({ eventId, type: event.type }, 'event already in the audit log');
      return null;
    }

    const content: AuditEntryContent = {
      seq: head.seq === null ? '1' : (BigInt(head.seq) + 1n).toString(),
      eventId,
      type: event.type,
      source: event.source,
      aggregateType: event.aggregateType,
      aggregateId: event.aggregateId,
      actor: event.actor ? { id: event.actor.id.toLowerCase(), role: event.actor.role } : null,
      correlationId: event.correlationId,
      occurredAt: new Date(event.occurredAt).toISOString(),
      // The database clock, under the lock: recorded_at never goes back as seq goes up,
      // whichever replica appends.
      recordedAt: head.now.toISOString(),
      payload: asStoredJson(
        await this.vault.seal(manager, event.type, asStoredJson(event.payload)),
      ),
      prevHash: head.hash ?? GENESIS_HASH,
    };
    const entry = chainable(content);
    await manager.query(
      `INSERT INTO ${table} (seq, event_id, type, source, aggregate_type, aggregate_id, actor_id, actor_role,
                             correlation_id, occurred_at, recorded_at, payload, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        entry.seq,
        entry.eventId,
        entry.type,
        entry.source,
        entry.aggregateType,
        entry.aggregateId,
        entry.actor?.id ?? null,
        entry.actor?.role ?? null,
        entry.correlationId,
        entry.occurredAt,
        entry.recordedAt,
        JSON.stringify(entry.payload),
        entry.prevHash,
        entry.hash,
      ],
    );
    return entry;
  }
}
