import { randomUUID } from 'node:crypto';
import { BookingRequestFields, bookingRequestHash } from './booking-request';

describe('booking request hash', () => {
  const request: BookingRequestFields = {
    agentId: randomUUID(),
    customerId: randomUUID(),
    startsAt: new Date('2030-01-07T09:00:00.000Z'),
    durationMinutes: 30,
    ticketId: null,
    notes: 'printer',
  };

  it('is the same for the same request', () => {
    expect(bookingRequestHash({ ...request, startsAt: new Date(request.startsAt) })).toBe(
      bookingRequestHash(request),
    );
    expect(bookingRequestHash(request)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['agentId', randomUUID()],
    ['customerId', randomUUID()],
    ['startsAt', new Date('2030-01-07T09:15:00.000Z')],
    ['durationMinutes', 45],
    ['ticketId', randomUUID()],
    ['notes', null],
  ])('differs when %s differs', (field, value) => {
    expect(bookingRequestHash({ ...request, [field]: value })).not.toBe(
      bookingRequestHash(request),
    );
  });
});
