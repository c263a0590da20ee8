import { z } from 'zod';
import { validateInput } from '@servicedesk/platform';
import { AuditLogFilter } from './audit-log.service';

const instant = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' });

const auditFilterSchema = z
  .object({
    aggregateType: z.string().min(1).max(100).nullish(),
    aggregateId: z.string().min(1).max(200).nullish(),
    actorId: z.uuid({ error: 'must be a user id' }).nullish(),
    type: z.string().min(1).max(100).nullish(),
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
