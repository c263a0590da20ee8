import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Role } from '@servicedesk/contracts';
import { JsonValue } from './canonical-json';
import { ChainedAuditEntry } from './audit-hash';

/**
 * One event, as recorded in the append-only audit log. Rows are only ever inserted: the
 * database refuses UPDATE, DELETE and TRUNCATE on the table (see the migration).
 */
@Entity({ name: 'audit_entry' })
export class AuditEntry {
  /** Position in the chain, assigned contiguously under the chain lock (bigint: a string). */
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'event_id', type: 'uuid', unique: true })
  eventId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  source!: string;

  @Column({ name: 'aggregate_type', type: 'text' })
  aggregateType!: string;

  @Column({ name: 'aggregate_id', type: 'text' })
  aggregateId!: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_role', type: 'text', nullable: true })
  actorRole!: Role | null;

  @Column({ name: 'correlation_id', type: 'text' })
  correlationId!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;

  @Column({ type: 'jsonb' })
  payload!: JsonValue;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}

/** The entry as the chain sees it: exactly the values its hash was computed from. */
export function toChainedEntry(row: AuditEntry): ChainedAuditEntry {
  return {
    seq: row.seq,
    eventId: row.eventId,
    type: row.type,
    source: row.source,
    aggregateType: row.aggregateType,
    aggregateId: row.aggregateId,
    actor: row.actorId && row.actorRole ? { id: row.actorId, role: row.actorRole } : null,
    correlationId: row.correlationId,
    occurredAt: row.occurredAt.toISOString(),
    recordedAt: row.recordedAt.toISOString(),
    payload: row.payload,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}
