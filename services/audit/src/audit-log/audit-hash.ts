import { hash } from 'node:crypto';
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
  return hash('sha256', canonicalJson(covered), 'hex');
}

/** Links new content to the chain: the entry that follows `prevHash`. */
export function chainEntry(content: AuditEntryContent): ChainedAuditEntry {
  return { ...content, hash: computeEntryHash(content) };
}

/** The last entry of the chain as the next one links to it. */
export type ChainEnd = Pick<ChainedAuditEntry, 'seq' | 'hash'>;

/** An entry's content before it has a place in the chain. */
export type UnlinkedContent = Omit<AuditEntryContent, 'seq' | 'prevHash'>;

/**
 * Links `contents` to the chain after `end` (null: the chain is empty), in order, each with
 * the next seq and the hash of the entry before it: exactly the entries that appending them
 * one at a time would give, so a log written by any mix of the two verifies the same.
 * Throws, naming the event, when a payload cannot be hashed.
 */
export function chainAfter(
  end: ChainEnd | null,
  contents: readonly UnlinkedContent[],
): ChainedAuditEntry[] {
  let seq = end === null ? 0n : BigInt(end.seq);
  let prevHash = end?.hash ?? GENESIS_HASH;
  return contents.map((content) => {
    seq += 1n;
    let entry: ChainedAuditEntry;
    try {
      entry = chainEntry({ ...content, seq: seq.toString(), prevHash });
    } catch (error) {
      throw new TypeError(`event ${content.eventId} cannot be hashed into the audit chain`, {
        cause: error,
      });
    }
    prevHash = entry.hash;
    return entry;
  });
}
