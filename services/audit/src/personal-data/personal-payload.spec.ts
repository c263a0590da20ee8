import { randomUUID } from 'node:crypto';
import { aPayload, anEvent } from '@servicedesk/testing';
import { JsonObject } from '../audit-log/canonical-json';
import { generateSubjectKey } from './field-cipher';
import {
  revealPayload,
  sealPayload,
  subjectErasedBy,
  subjectToReveal,
  subjectToSeal,
} from './personal-payload';

describe('personal data in stored payloads', () => {
  const userId = randomUUID();
  const key = generateSubjectKey();
  const registered = aPayload('user.registered', userId) as unknown as JsonObject;

  it('seals every non-null personal field with the subject key, leaving the rest in clear', () => {
    const stored = sealPayload('user.registered', registered, { erased: false, key });
    expect(stored).toEqual({
      ...registered,
      email: { $personal: expect.stringMatching(/^v1\./) },
      name: { $personal: expect.stringMatching(/^v1\./) },
    });
    expect(JSON.stringify(stored)).not.toContain(registered.email as string);
  });

  it('reads sealed fields back with the key, and as null (saying so) without it', () => {
    const stored = sealPayload('user.registered', registered, { erased: false, key });
    expect(subjectToReveal('user.registered', stored)).toBe(userId);
    expect(revealPayload('user.registered', stored, new Map([[userId, key]]))).toEqual({
      payload: registered,
      personalDataErased: false,
    });
    expect(revealPayload('user.registered', stored, new Map())).toEqual({
      payload: { ...registered, email: null, name: null },
      personalDataErased: true,
    });
  });

  it('blanks the personal fields of a subject erased before the event was recorded', () => {
    const stored = sealPayload('user.registered', registered, { erased: true });
    expect(stored).toMatchObject({ email: { $personal: null }, name: { $personal: null } });
    expect(subjectToReveal('user.registered', stored)).toBeNull();
    expect(revealPayload('user.registered', stored, new Map([[userId, key]]))).toEqual({
      payload: { ...registered, email: null, name: null },
      personalDataErased: true,
    });
  });

  it('needs no key for null personal fields or for event types without personal data', () => {
    const cancelled = aPayload('appointment.cancelled', randomUUID(), { reason: null });
    expect(subjectToSeal('appointment.cancelled', cancelled as unknown as JsonObject)).toBeNull();
    expect(
      subjectToSeal('ticket.assigned', aPayload('ticket.assigned') as unknown as JsonObject),
    ).toBeNull();
    expect(subjectToSeal('user.registered', registered)).toBe(userId);
  });

  it('returns payloads recorded before sealing existed as they are', () => {
    expect(revealPayload('user.registered', registered, new Map())).toEqual({
      payload: registered,
      personalDataErased: false,
    });
    expect(subjectToReveal('user.registered', registered)).toBeNull();
  });
});

describe('subjectErasedBy', () => {
  it('is the person a user.erased is about, in lower case, and nobody for any other event', () => {
    const userId = randomUUID();
    expect(subjectErasedBy(anEvent('user.erased', { aggregateId: userId.toUpperCase() }))).toBe(
      userId,
    );
    expect(subjectErasedBy(anEvent('user.registered', { aggregateId: userId }))).toBeNull();
  });
});
