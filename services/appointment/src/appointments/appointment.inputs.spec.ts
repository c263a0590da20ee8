import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { addTimeOffArgs, setAvailabilityArgs } from '../availability/availability.inputs';
import { availableSlotsArgs } from '../slots/slot.inputs';
import {
  appointmentListArgs,
  bookAppointmentArgs,
  cancelAppointmentArgs,
  rescheduleAppointmentArgs,
  userAppointmentsArgs,
} from './appointment.inputs';

/** The field a client is told about: the path of the first issue. */
function rejectedField(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`accepted ${JSON.stringify(value)}`);
  return result.error.issues[0].path.join('.');
}

const monday = new Date('2030-01-07T09:00:00.000Z');

const availability = (overrides: Record<string, unknown> = {}) => ({
  input: {
    timeZone: 'Europe/Berlin',
    weeklyHours: [
      { weekday: 1, startTime: '09:00', endTime: '12:00' },
      { weekday: 1, startTime: '13:00', endTime: '17:00' },
    ],
    ...overrides,
  },
});

const booking = (overrides: Record<string, unknown> = {}) => ({
  input: { agentId: randomUUID(), startsAt: monday, durationMinutes: 30, ...overrides },
});

describe('appointment inputs', () => {
  describe('setAvailability', () => {
    it('accepts several periods a day and fills in the defaults', () => {
      expect(setAvailabilityArgs.parse(availability()).input).toMatchObject({
        bufferMinutes: 0,
        minimumNoticeMinutes: 60,
        bookingWindowDays: 60,
      });
      expect(() =>
        setAvailabilityArgs.parse(
          availability({ weeklyHours: [{ weekday: 7, startTime: '00:00', endTime: '24:00' }] }),
        ),
      ).not.toThrow();
    });

    it.each([
      ['an unknown time zone', { timeZone: 'Mars/Olympus' }, 'input.timeZone'],
      [
        'a weekday of 0',
        { weeklyHours: [{ weekday: 0, startTime: '09:00', endTime: '10:00' }] },
        'input.weeklyHours.0.weekday',
      ],
      [
        'a weekday of 8',
        { weeklyHours: [{ weekday: 8, startTime: '09:00', endTime: '10:00' }] },
        'input.weeklyHours.0.weekday',
      ],
      [
        'a malformed time',
        { weeklyHours: [{ weekday: 1, startTime: '9:00', endTime: '10:00' }] },
        'input.weeklyHours.0.startTime',
      ],
      [
        'an end before the start',
        { weeklyHours: [{ weekday: 1, startTime: '10:00', endTime: '09:00' }] },
        'input.weeklyHours.0.endTime',
      ],
      [
        'an empty period',
        { weeklyHours: [{ weekday: 1, startTime: '10:00', endTime: '10:00' }] },
        'input.weeklyHours.0.endTime',
      ],
      [
        'overlapping periods of one day',
        {
          weeklyHours: [
            { weekday: 2, startTime: '09:00', endTime: '12:00' },
            { weekday: 3, startTime: '11:00', endTime: '13:00' },
            { weekday: 2, startTime: '11:30', endTime: '13:00' },
          ],
        },
        'input.weeklyHours.2',
      ],
      ['a negative buffer', { bufferMinutes: -5 }, 'input.bufferMinutes'],
      ['a huge notice', { minimumNoticeMinutes: 50_000 }, 'input.minimumNoticeMinutes'],
      ['an empty booking window', { bookingWindowDays: 0 }, 'input.bookingWindowDays'],
    ])('rejects %s on %s', (_case, overrides, field) => {
      expect(rejectedField(setAvailabilityArgs, availability(overrides))).toBe(field);
    });
  });

  it('requires time off to end after it starts, within a year', () => {
    const input = (endsAt: Date) => ({ input: { startsAt: monday, endsAt } });
    expect(rejectedField(addTimeOffArgs, input(monday))).toBe('input.endsAt');
    expect(rejectedField(addTimeOffArgs, input(new Date('2031-03-01T00:00:00.000Z')))).toBe(
      'input.endsAt',
    );
    expect(
      addTimeOffArgs.parse(input(new Date('2030-01-08T00:00:00.000Z'))).input.reason,
    ).toBeNull();
  });

  it('bounds slot searches and durations', () => {
    const search = (overrides: Record<string, unknown>) => ({
      agentId: randomUUID(),
      from: monday,
      to: new Date('2030-01-08T00:00:00.000Z'),
      durationMinutes: 30,
      ...overrides,
    });
    expect(rejectedField(availableSlotsArgs, search({ to: monday }))).toBe('to');
    expect(
      rejectedField(availableSlotsArgs, search({ to: new Date('2030-03-20T00:00:00.000Z') })),
    ).toBe('to');
    expect(rejectedField(availableSlotsArgs, search({ durationMinutes: 3 }))).toBe(
      'durationMinutes',
    );
    expect(rejectedField(availableSlotsArgs, search({ durationMinutes: 481 }))).toBe(
      'durationMinutes',
    );
    expect(rejectedField(availableSlotsArgs, search({ durationMinutes: 32 }))).toBe(
      'durationMinutes',
    );
  });

  describe('bookAppointment', () => {
    it('trims notes, treats blank text as absent and keeps the idempotency key', () => {
      expect(
        bookAppointmentArgs.parse({
          ...booking({ notes: '  bring the invoice ' }),
          idempotencyKey: 'k-1',
        }),
      ).toMatchObject({
        input: { notes: 'bring the invoice', ticketId: null },
        idempotencyKey: 'k-1',
      });
      expect(bookAppointmentArgs.parse(booking({ notes: '   ' })).input.notes).toBeNull();
    });

    it.each([
      ['a bad agent id', { agentId: 'bob' }, 'input.agentId'],
      ['a bad customer id', { customerId: 'me' }, 'input.customerId'],
      ['a bad ticket id', { ticketId: 'T-1' }, 'input.ticketId'],
      ['a duration off the 5-minute grid', { durationMinutes: 7 }, 'input.durationMinutes'],
    ])('rejects %s on %s', (_case, overrides, field) => {
      expect(rejectedField(bookAppointmentArgs, booking(overrides))).toBe(field);
    });

    it('rejects a blank idempotency key', () => {
      expect(rejectedField(bookAppointmentArgs, { ...booking(), idempotencyKey: ' ' })).toBe(
        'idempotencyKey',
      );
    });
  });

  it('requires a cancellation reason that is not blank; a reschedule reason is optional', () => {
    const id = randomUUID();
    expect(rejectedField(cancelAppointmentArgs, { id, reason: '  ' })).toBe('reason');
    expect(cancelAppointmentArgs.parse({ id, reason: ' sick ' }).reason).toBe('sick');
    expect(rescheduleAppointmentArgs.parse({ id, startsAt: monday }).reason).toBeNull();
    expect(
      rejectedField(rescheduleAppointmentArgs, { id, startsAt: monday, expectedVersion: 0 }),
    ).toBe('expectedVersion');
  });

  it('validates lists and drops empty criteria', () => {
    expect(appointmentListArgs.parse({ filter: { status: [] } })).toEqual({
      filter: {},
      first: 20,
    });
    expect(rejectedField(appointmentListArgs, { filter: { status: ['LATE'] } })).toBe(
      'filter.status.0',
    );
    expect(rejectedField(appointmentListArgs, { first: 101 })).toBe('first');
    expect(userAppointmentsArgs.parse({ status: ['CANCELLED'], first: 5 })).toEqual({
      first: 5,
      filter: { status: ['CANCELLED'] },
    });
  });
});
