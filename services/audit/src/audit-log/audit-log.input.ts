import { z } from 'zod';
import { CURSOR_MAX_LENGTH, TextLimits, validateInput } from '@servicedesk/platform';
import { AuditLogFilter } from './audit-log.service';

/** Event and aggregate type names, e.g. `ticket.status_changed`, `ticket`. */
const TYPE_NAME_MAX_LENGTH = 100;

/** The longest text each argument and input field takes, enforced before resolvers run. */
export const AUDIT_TEXT_LIMITS: TextLimits = {
  'AuditFilter.aggregateType': TYPE_NAME_MAX_LENGTH,
  'AuditFilter.type': TYPE_NAME_MAX_LENGTH,
  'Query.auditLog(after:)': CURSOR_MAX_LENGTH,
  'Ticket.auditTrail(after:)': CURSOR_MAX_LENGTH,
};

const instant = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' });

const auditFilterSchema = z
  .object({
    aggregateType: z.string().min(1).nullish(),
    aggregateId: z.string().min(1).nullish(),
    actorId: z.uuid({ error: 'must be a user id' }).nullish(),
    type: z.string().min(1).nullish(),
    occurredFrom: instant.nullish(),
    occurredTo: instant.nullish(),
  })
  .nullish()
  .refine(
    (filter) =>
      !filter?.occurredFrom ||
      !filter.occurredTo ||
      new Date(filter.occurredFrom) <= new Date(filter.occurredTo),
    { message: 'occurredTo must not be before occurredFrom', path: ['occurredTo'] },
  );

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/** Validates the `filter` argument of `auditLog` (BAD_USER_INPUT names e.g. `filter.actorId`). */
export function parseAuditFilter(input: unknown): AuditLogFilter {
  const filter = validateInput(auditFilterSchema, input, 'filter');
  return {
    aggregateType: orUndefined(filter?.aggregateType),
    aggregateId: orUndefined(filter?.aggregateId),
    actorId: orUndefined(filter?.actorId?.toLowerCase()),
    type: orUndefined(filter?.type),
    occurredFrom: filter?.occurredFrom ? new Date(filter.occurredFrom) : undefined,
    occurredTo: filter?.occurredTo ? new Date(filter.occurredTo) : undefined,
  };
}
