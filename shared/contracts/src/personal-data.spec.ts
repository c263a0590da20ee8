import { z } from 'zod';
import { EventType, eventPayloadSchemas, isEventType } from './events';
import {
  PERSONAL_DATA_IN_EVENTS,
  personalDataLocationOf,
  splitPersonalData,
} from './personal-data';

const mapped = Object.entries(PERSONAL_DATA_IN_EVENTS) as Array<
  [EventType, { subject: string; fields: readonly string[] }]
>;

describe('PERSONAL_DATA_IN_EVENTS', () => {
  it('names only event types that have a contract', () => {
    expect(mapped.length).toBeGreaterThan(0);
    for (const [type] of mapped) expect(isEventType(type)).toBe(true);
  });

  it.each(mapped)(
    '%s: the subject and every personal field exist in the payload schema',
    (type, location) => {
      const shape = eventPayloadSchemas[type].shape as Record<string, z.ZodType>;
      for (const field of [location.subject, ...location.fields]) {
        expect(Object.keys(shape)).toContain(field);
      }
    },
  );

  it.each(mapped)(
    '%s: the subject is a person id (a UUID), never itself a personal field',
    (type, location) => {
      const shape = eventPayloadSchemas[type].shape as Record<string, z.ZodType>;
      expect(
        shape[location.subject].safeParse('4b0e7c7e-7c77-4f3c-9a55-2f1a3e0b6a10').success,
      ).toBe(true);
      expect(shape[location.subject].safeParse('someone').success).toBe(false);
      expect(location.fields).not.toContain(location.subject);
    },
  );

  it('covers what the platform knows to be personal', () => {
    expect(PERSONAL_DATA_IN_EVENTS).toEqual({
      'user.registered': { subject: 'userId', fields: ['email', 'name'] },
      'ticket.created': { subject: 'requesterId', fields: ['title'] },
      'appointment.rescheduled': { subject: 'customerId', fields: ['reason'] },
      'appointment.cancelled': { subject: 'customerId', fields: ['reason'] },
      'notification.failed': { subject: 'recipientId', fields: ['error'] },
    });
  });
});

describe('personalDataLocationOf', () => {
  it('is null for a type without personal data and for an unknown type', () => {
    expect(personalDataLocationOf('ticket.assigned')).toBeNull();
    expect(personalDataLocationOf('toString')).toBeNull();
    expect(personalDataLocationOf('user.registered')).toEqual({
      subject: 'userId',
      fields: ['email', 'name'],
    });
  });
});

describe('splitPersonalData', () => {
  const userId = '0d5c2f57-9a0e-4f0b-8c55-6c4f4a7f3b21';

  it('separates the personal fields of the subject from the rest', () => {
    const payload = {
      userId,
      email: 'ada@example.com',
      name: 'Ada',
      role: 'CUSTOMER',
      timeZone: 'UTC',
    };
    expect(splitPersonalData('user.registered', payload)).toEqual({
      subjectId: userId,
      personal: { email: 'ada@example.com', name: 'Ada' },
      rest: { userId, role: 'CUSTOMER', timeZone: 'UTC' },
    });
  });

  it('keeps a null personal value among the personal fields, and leaves out absent ones', () => {
    const split = splitPersonalData('appointment.cancelled', { customerId: userId, reason: null });
    expect(split?.personal).toEqual({ reason: null });
    expect(splitPersonalData('notification.failed', { recipientId: userId })?.personal).toEqual({});
  });

  it('is null for an event type that carries no personal data', () => {
    expect(splitPersonalData('ticket.assigned', { ticketId: userId })).toBeNull();
  });

  it('refuses a payload whose subject is not an id', () => {
    expect(() => splitPersonalData('user.registered', { userId: 42, email: 'x' })).toThrow(
      /subject field userId/,
    );
  });
});
