import { Role } from '@servicedesk/contracts';
import { ReadableAuditEntry } from '../personal-data/personal-data.vault';
import { JsonValue } from './canonical-json';

/** The GraphQL `AuditEntry` (see schema.graphql). */
export interface AuditEntryNode {
  seq: string;
  eventId: string;
  type: string;
  source: string;
  aggregateType: string;
  aggregateId: string;
  actor: { id: string; role: Role; user: { id: string } } | null;
  correlationId: string;
  occurredAt: string;
  recordedAt: string;
  payload: JsonValue;
  personalDataErased: boolean;
  hash: string;
  prevHash: string;
}

export function toAuditEntryNode(entry: ReadableAuditEntry): AuditEntryNode {
  return {
    seq: entry.seq,
    eventId: entry.eventId,
    type: entry.type,
    source: entry.source,
    aggregateType: entry.aggregateType,
    aggregateId: entry.aggregateId,
    actor:
      entry.actorId && entry.actorRole
        ? { id: entry.actorId, role: entry.actorRole, user: { id: entry.actorId } }
        : null,
    correlationId: entry.correlationId,
    occurredAt: entry.occurredAt.toISOString(),
    recordedAt: entry.recordedAt.toISOString(),
    payload: entry.payload,
    personalDataErased: entry.personalDataErased,
    hash: entry.hash,
    prevHash: entry.prevHash,
  };
}
