import { randomUUID } from 'node:crypto';
import {
  AuditEntryContent,
  ChainedAuditEntry,
  GENESIS_HASH,
  chainEntry,
} from '../src/audit-log/audit-hash';

/** An intact in-memory chain of `length` entries, seq 1..length. */
export function aChain(length: number): ChainedAuditEntry[] {
  const entries: ChainedAuditEntry[] = [];
  for (let index = 0; index < length; index += 1) {
    const content: AuditEntryContent = {
      seq: String(index + 1),
      eventId: randomUUID(),
      type: 'ticket.commented',
      source: 'ticket-service',
      aggregateType: 'ticket',
      aggregateId: randomUUID(),
      actor: index % 3 === 0 ? null : { id: randomUUID(), role: 'AGENT' },
      correlationId: randomUUID(),
      occurredAt: new Date(Date.UTC(2025, 0, 1, 12, 0, index)).toISOString(),
      recordedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, index, 250)).toISOString(),
      payload: { body: `comment ${index}`, nested: { tags: ['a', 'b'], count: index } },
      prevHash: entries.length === 0 ? GENESIS_HASH : entries[entries.length - 1].hash,
    };
    entries.push(chainEntry(content));
  }
  return entries;
}
