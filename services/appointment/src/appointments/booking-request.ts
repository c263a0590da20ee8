import { createHash } from 'node:crypto';

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
  const canonical = JSON.stringify([
    request.agentId,
    request.customerId,
    request.startsAt.toISOString(),
    request.durationMinutes,
    request.ticketId,
    request.notes,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
