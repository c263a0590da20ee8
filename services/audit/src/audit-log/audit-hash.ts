import { createHash } from 'node:crypto';
import { Actor } from '@servicedesk/contracts';
import { canonicalJson, JsonValue } from './canonical-json';

/** The `prevHash` of the first entry: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Everything an entry's hash covers, in the form it is stored and read back: `seq` as a
 * decimal string (it is a bigint), instants as ISO-8601 UTC with milliseconds (the
 * precision shared by a JS Date and a timestamptz round trip).
 */
export interface AuditEntryContent {
  seq: string;
  eventId: string;
  type: string;
  source: string;
  aggregateType: string;
  aggregateId: string;
  actor: Actor;
  correlationId: string;
  occurredAt: string;
  recordedAt: string;
  payload: JsonValue;
  prevHash: string;
}

export interface ChainedAuditEntry extends AuditEntryContent {
  hash: string;
}

/** sha256 (hex) of the canonical JSON of the entry's content, previous hash included. */
export function computeEntryHash(content: AuditEntryContent): string {
  const covered: Record<keyof AuditEntryContent, JsonValue> = {
    seq: content.seq,
    eventId: content.eventId,
    type: content.type,
    source: content.source,
    aggregateType: content.aggregateType,
    aggregateId: content.aggregateId,
    actor: content.actor ? { id: content.actor.id, role: content.actor.role } : null,
    correlationId: content.correlationId,
    occurredAt: content.occurredAt,
    recordedAt: content.recordedAt,
    payload: content.payload,
    prevHash: content.prevHash,
  };
  return createHash('sha256').update(canonicalJson(covered), 'utf8').digest('hex');
}

/** Links new content to the chain: the entry that follows `prevHash`. */
export function chainEntry(content: AuditEntryContent): ChainedAuditEntry {
  return { ...content, hash: computeEntryHash(content) };
}
