import type { EventPayload } from '@servicedesk/contracts';

export const APPOINTMENT_STATUSES = ['CONFIRMED', 'CANCELLED', 'COMPLETED', 'NO_SHOW'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** A meeting of a customer with an agent (`appointment.appointments`), as every query returns it. */
export interface Appointment {
  id: string;
  agentId: string;
  customerId: string;
  ticketId: string | null;
  startsAt: Date;
  endsAt: Date;
  status: AppointmentStatus;
  notes: string | null;
  cancellationReason: string | null;
  rescheduleReason: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMN_NAMES: Readonly<Record<keyof Appointment, string>> = {
  id: 'id',
  agentId: 'agent_id',
  customerId: 'customer_id',
  ticketId: 'ticket_id',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  status: 'status',
  notes: 'notes',
  cancellationReason: 'cancellation_reason',
  rescheduleReason: 'reschedule_reason',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

/** A select list that returns rows already shaped as `Appointment`. */
export function appointmentColumns(alias: string): string {
  return Object.entries(COLUMN_NAMES)
    .map(([property, column]) => `${alias}.${column} AS "${property}"`)
    .join(', ');
}

export function durationMinutesOf(appointment: Pick<Appointment, 'startsAt' | 'endsAt'>): number {
  return (appointment.endsAt.getTime() - appointment.startsAt.getTime()) / 60_000;
}

/** The participants every appointment event names. */
export function participantsOf(appointment: Appointment): EventPayload<'appointment.completed'> {
  return {
    appointmentId: appointment.id,
    agentId: appointment.agentId,
    customerId: appointment.customerId,
  };
}
