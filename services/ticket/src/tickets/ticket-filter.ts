import { SqlParameters } from '@servicedesk/platform';
import type { TicketCursor } from './ticket-cursor';
import type { TicketPriority, TicketStatus } from './ticket-status';

/** `TicketFilter` of the schema, after validation. An empty list constrains nothing. */
export interface TicketFilter {
  status?: TicketStatus[];
  priority?: TicketPriority[];
  assigneeId?: string;
  requesterId?: string;
  tag?: string;
  text?: string;
}

/** What the caller may see: customers only the tickets they requested. */
export interface TicketScope {
  requesterId?: string;
}

/** Makes `text` match literally inside ILIKE (the default escape character is `\`). */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** SQL conditions (to AND together) selecting the tickets of `filter` within `scope`. */
export function ticketConditions(
  filter: TicketFilter,
  scope: TicketScope,
  params: SqlParameters,
  alias = 't',
): string[] {
  const conditions: string[] = [];
  if (scope.requesterId !== undefined) {
    conditions.push(`${alias}.requester_id = ${params.add(scope.requesterId, 'uuid')}`);
  }
  if (filter.status?.length) {
    conditions.push(`${alias}.status = ANY(${params.add(filter.status, 'text[]')})`);
  }
  if (filter.priority?.length) {
    conditions.push(`${alias}.priority = ANY(${params.add(filter.priority, 'text[]')})`);
  }
  if (filter.assigneeId !== undefined) {
    conditions.push(`${alias}.assignee_id = ${params.add(filter.assigneeId, 'uuid')}`);
  }
  if (filter.requesterId !== undefined) {
    conditions.push(`${alias}.requester_id = ${params.add(filter.requesterId, 'uuid')}`);
  }
  if (filter.tag !== undefined) {
    // Containment, not `= ANY(tags)`, so the GIN index on tags can serve it.
    conditions.push(`${alias}.tags @> ARRAY[${params.add(filter.tag, 'text')}]`);
  }
  if (filter.text !== undefined) {
    const pattern = params.add(`%${escapeLikePattern(filter.text)}%`, 'text');
    conditions.push(`(${alias}.title ILIKE ${pattern} OR ${alias}.description ILIKE ${pattern})`);
  }
  return conditions;
}

/** Tickets strictly after `cursor` in the newest-first order of `TICKET_ORDER`. */
export function afterCursorCondition(
  cursor: TicketCursor,
  params: SqlParameters,
  alias = 't',
): string {
  const createdAt = params.add(cursor.createdAt, 'timestamptz');
  const id = params.add(cursor.id, 'uuid');
  return `(${alias}.created_at, ${alias}.id) < (${createdAt}, ${id})`;
}

export function ticketOrder(alias = 't'): string {
  return `${alias}.created_at DESC, ${alias}.id DESC`;
}

export function whereClause(conditions: string[]): string {
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}
