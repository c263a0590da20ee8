import { z } from 'zod';
import {
  CURSOR_MAX_LENGTH,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  TextLimits,
  idempotencyKeySchema,
  pageSizeSchema,
} from '@servicedesk/platform';
import { durationMinutes } from '../slots/slot.inputs';
import type { AppointmentFilter } from './appointment-filter';
import { APPOINTMENT_STATUSES } from './appointment.model';

/**
 * Validation of every argument the appointment API accepts. Each schema validates the whole
 * argument object of one field, so an issue's path is what the client wrote (`input.notes`).
 * The length of each text is the input contract's (`APPOINTMENT_TEXT_LIMITS`), checked first.
 */
const id = z.uuid({ error: 'must be a UUID' });
const date = z.date({ error: 'must be a date-time' });
const status = z.enum(APPOINTMENT_STATUSES, { error: 'is not an appointment status' });

export const NOTES_MAX_LENGTH = 2000;
export const REASON_MAX_LENGTH = 500;

/** Optional text: trimmed, and blank means "not given". */
export const optionalText = z
  .string()
  .trim()
  .nullish()
  .transform((value) => (value ? value : null));

const expectedVersion = z
  .number()
  .int()
  .positive('must be a version the appointment had')
  .nullish()
  .transform((value) => value ?? undefined);

export const bookAppointmentArgs = z.object({
  input: z.object({
    agentId: id,
    startsAt: date,
    durationMinutes,
    customerId: id.nullish().transform((value) => value ?? undefined),
    ticketId: id.nullish().transform((value) => value ?? null),
    notes: optionalText,
  }),
  idempotencyKey: idempotencyKeySchema,
});

export const rescheduleAppointmentArgs = z.object({
  id,
  startsAt: date,
  reason: optionalText,
  expectedVersion,
});

export const cancelAppointmentArgs = z.object({
  id,
  reason: z.string().trim().min(1, 'is required'),
  expectedVersion,
});

export const appointmentIdArgs = z.object({ id });

const filter = z
  .object({
    status: z.array(status).nullish(),
    agentId: id.nullish(),
    customerId: id.nullish(),
    ticketId: id.nullish(),
    from: date.nullish(),
    to: date.nullish(),
  })
  .nullish()
  .transform((value): AppointmentFilter => {
    const result: AppointmentFilter = {};
    if (value?.status?.length) result.status = value.status;
    if (value?.agentId) result.agentId = value.agentId;
    if (value?.customerId) result.customerId = value.customerId;
    if (value?.ticketId) result.ticketId = value.ticketId;
    if (value?.from) result.from = value.from;
    if (value?.to) result.to = value.to;
    return result;
  });

export const appointmentListArgs = z.object({
  filter,
  first: pageSizeSchema({ min: 0 }),
  after: z.string().nullish(),
});

/** `User.appointments(status, first, after)`: the same list with only a status criterion. */
export const userAppointmentsArgs = z
  .object({
    status: z.array(status).nullish(),
    first: pageSizeSchema({ min: 0 }),
    after: z.string().nullish(),
  })
  .transform(({ status: statuses, ...page }) => ({
    ...page,
    filter: statuses?.length ? { status: statuses } : {},
  }));

export type BookAppointmentArgs = z.infer<typeof bookAppointmentArgs>;
export type BookAppointmentInput = BookAppointmentArgs['input'];
export type RescheduleAppointmentArgs = z.infer<typeof rescheduleAppointmentArgs>;
export type CancelAppointmentArgs = z.infer<typeof cancelAppointmentArgs>;

/** The longest text each argument and input field takes, enforced before resolvers run. */
export const APPOINTMENT_TEXT_LIMITS: TextLimits = {
  'BookAppointmentInput.notes': NOTES_MAX_LENGTH,
  'Mutation.bookAppointment(idempotencyKey:)': IDEMPOTENCY_KEY_MAX_LENGTH,
  'Mutation.rescheduleAppointment(reason:)': REASON_MAX_LENGTH,
  'Mutation.cancelAppointment(reason:)': REASON_MAX_LENGTH,
  'Query.appointments(after:)': CURSOR_MAX_LENGTH,
  'User.appointments(after:)': CURSOR_MAX_LENGTH,
};
