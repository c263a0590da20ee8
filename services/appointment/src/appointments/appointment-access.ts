import type { Identity } from '@servicedesk/platform';
import type { Appointment } from './appointment.model';

/** The appointments a caller may see: within this scope. */
export interface AppointmentScope {
  agentId?: string;
  customerId?: string;
}

/**
 * Customers see the appointments they are booked into, agents those they hold, admins all.
 * To anyone else an appointment does not exist (NOT_FOUND, never FORBIDDEN, which would
 * confirm it does).
 */
export function appointmentScopeOf(identity: Identity): AppointmentScope {
  switch (identity.role) {
    case 'CUSTOMER':
      return { customerId: identity.userId };
    case 'AGENT':
      return { agentId: identity.userId };
    case 'ADMIN':
      return {};
  }
}

export function canSeeAppointment(
  identity: Identity,
  appointment: Pick<Appointment, 'agentId' | 'customerId'>,
): boolean {
  const scope = appointmentScopeOf(identity);
  return (
    (scope.agentId === undefined || scope.agentId === appointment.agentId) &&
    (scope.customerId === undefined || scope.customerId === appointment.customerId)
  );
}

const MINUTE_MS = 60_000;

/**
 * Customers cannot move or cancel an appointment shortly before it starts (the agent has
 * planned for it); agents and admins can.
 */
export function customerMayStillChange(
  identity: Identity,
  appointment: Pick<Appointment, 'startsAt'>,
  now: Date,
  noticeMinutes: number,
): boolean {
  if (identity.role !== 'CUSTOMER') return true;
  return appointment.startsAt.getTime() - now.getTime() >= noticeMinutes * MINUTE_MS;
}
