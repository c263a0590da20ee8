import { IdempotencyKeys, requestFingerprint } from '@servicedesk/platform';
import { TABLES } from '../database/tables';

/** A booking as requested, once the customer it is for has been settled. */
export interface BookingRequestFields {
  agentId: string;
  customerId: string;
  startsAt: Date;
  durationMinutes: number;
  ticketId: string | null;
  notes: string | null;
}

/**
 * A fingerprint of a booking request: a repeat under the same idempotency key must ask for
 * exactly the same booking. Fields are listed explicitly so their order never varies.
 */
export function bookingRequestHash(request: BookingRequestFields): string {
  return requestFingerprint([
    request.agentId,
    request.customerId,
    request.startsAt.toISOString(),
    request.durationMinutes,
    request.ticketId,
    request.notes,
  ]);
}

/** Where bookAppointment remembers its callers' idempotency keys. */
export const BOOKING_KEYS = new IdempotencyKeys({
  table: TABLES.bookingRequests,
  resultColumn: 'appointment_id',
  result: 'booking',
});
