import { z } from 'zod';
import {
  Connection,
  decodeCursor,
  encodeCursor,
  pageSizeSchema,
  toConnection,
  validateInput,
} from '@servicedesk/platform';
import { AuditEntryNode, toAuditEntryNode } from './audit-entry.presenter';
import { ReadableAuditEntry } from '../personal-data/personal-data.vault';

/** The seq of an entry is also the order of every list, so it is the whole position. */
const positionSchema = z.object({ seq: z.string().regex(/^\d{1,19}$/) });

export function encodeAuditCursor(seq: string): string {
  return encodeCursor({ seq });
}

/** Throws BAD_USER_INPUT on `after` for anything this list did not hand out. */
export function decodeAuditCursor(cursor: string): string {
  return decodeCursor(cursor, positionSchema).seq;
}

/** A validated page request: at most `first` entries with a seq greater than `afterSeq`. */
export interface PageRequest {
  first: number;
  afterSeq: string;
}

const pageArgsSchema = z.object({
  first: pageSizeSchema({ min: 0 }),
  after: z.string().nullish(),
});

export function pageRequest(args: { first?: number | null; after?: string | null }): PageRequest {
  const { first, after } = validateInput(pageArgsSchema, args);
  return { first, afterSeq: after ? decodeAuditCursor(after) : '0' };
}

/** A page of entries from up to `first + 1` of them in seq order (see `toConnection`). */
export function toAuditEntryConnection(
  entries: readonly ReadableAuditEntry[],
  first: number,
): Connection<AuditEntryNode> {
  return toConnection(entries.map(toAuditEntryNode), first, (node) => encodeAuditCursor(node.seq));
}
