import { SqlParameters } from '@servicedesk/platform';
import type { AppointmentScope } from './appointment-access';
import type { AppointmentCursor } from './appointment-cursor';
import type { AppointmentStatus } from './appointment.model';

/** `AppointmentFilter` of the schema, after validation. An empty list constrains nothing. */
export interface AppointmentFilter {
  status?: AppointmentStatus[];
  agentId?: string;
  customerId?: string;
  ticketId?: string;
  from?: Date;
  to?: Date;
}

/** SQL conditions (to AND together) selecting the appointments of `filter` within `scope`. */
export function appointmentConditions(
  filter: AppointmentFilter,
  scope: AppointmentScope,
  params: SqlParameters,
  alias = 'a',
): string[] {
  const conditions: string[] = [];
  const equal = (column: string, value: string | undefined) => {
    if (value !== undefined) conditions.push(`${alias}.${column} = ${params.add(value, 'uuid')}`);
  };
  equal('agent_id', scope.agentId);
  equal('customer_id', scope.customerId);
  if (filter.status?.length) {
    conditions.push(`${alias}.status = ANY(${params.add(filter.status, 'text[]')})`);
  }
  equal('agent_id', filter.agentId);
  equal('customer_id', filter.customerId);
  equal('ticket_id', filter.ticketId);
  if (filter.from !== undefined) {
    conditions.push(`${alias}.starts_at >= ${params.add(filter.from, 'timestamptz')}`);
  }
  if (filter.to !== undefined) {
    conditions.push(`${alias}.starts_at < ${params.add(filter.to, 'timestamptz')}`);
  }
  return conditions;
}

/** Appointments strictly after `cursor` in the earliest-first order of `appointmentOrder`. */
export function afterCursorCondition(
  cursor: AppointmentCursor,
  params: SqlParameters,
  alias = 'a',
): string {
  const startsAt = params.add(cursor.startsAt, 'timestamptz');
  const id = params.add(cursor.id, 'uuid');
  return `(${alias}.starts_at, ${alias}.id) > (${startsAt}, ${id})`;
}

export function appointmentOrder(alias = 'a'): string {
  return `${alias}.starts_at, ${alias}.id`;
}

export function whereClause(conditions: string[]): string {
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}
