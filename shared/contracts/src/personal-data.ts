import { EventPayload, EventType } from './events';

/** Payload fields of `T` that hold a string (a person's id, for a subject). */
type StringField<T extends EventType> = {
  [K in keyof EventPayload<T>]-?: EventPayload<T>[K] extends string ? K : never;
}[keyof EventPayload<T>] &
  string;

/** Where one event type carries personal data, and whose it is. */
export interface PersonalDataLocation<T extends EventType = EventType> {
  /** The payload field holding the id of the person the data is about. */
  subject: StringField<T>;
  /** The payload fields that are personal data of that person. */
  fields: ReadonlyArray<keyof EventPayload<T> & string>;
}

/**
 * The one map of personal data in events: every service that stores or forwards payloads
 * (the audit log encrypts these fields per person, erasure forgets them) reads it from
 * here. Event types not listed carry ids and facts, but nothing personal.
 */
export const PERSONAL_DATA_IN_EVENTS: { readonly [T in EventType]?: PersonalDataLocation<T> } = {
  'user.registered': { subject: 'userId', fields: ['email', 'name'] },
  'ticket.created': { subject: 'requesterId', fields: ['title'] },
  'appointment.rescheduled': { subject: 'customerId', fields: ['reason'] },
  'appointment.cancelled': { subject: 'customerId', fields: ['reason'] },
  'notification.failed': { subject: 'recipientId', fields: ['error'] },
};

/** Where events of `type` carry personal data, or null when they carry none. */
export function personalDataLocationOf(type: string): PersonalDataLocation | null {
  if (!Object.prototype.hasOwnProperty.call(PERSONAL_DATA_IN_EVENTS, type)) return null;
  return (PERSONAL_DATA_IN_EVENTS as Record<string, PersonalDataLocation>)[type];
}

/** A payload cut in two: the personal data of `subjectId`, and everything else. */
export interface PersonalDataSplit<V> {
  subjectId: string;
  /** The personal fields present in the payload, null values included. */
  personal: Record<string, V>;
  rest: Record<string, V>;
}

/**
 * Splits the payload of an event of `type` into the personal fields of its subject and the
 * rest; null when the type carries no personal data. Throws when the subject field is not a
 * string, which a payload that honours its contract never does.
 */
export function splitPersonalData<V>(
  type: string,
  payload: Readonly<Record<string, V>>,
): PersonalDataSplit<V> | null {
  const location = personalDataLocationOf(type);
  if (!location) return null;
  const subjectId: unknown = payload[location.subject];
  if (typeof subjectId !== 'string') {
    throw new TypeError(`${type}: the subject field ${location.subject} is not an id`);
  }
  const personalFields = new Set<string>(location.fields);
  const personal: Record<string, V> = {};
  const rest: Record<string, V> = {};
  for (const [field, value] of Object.entries(payload)) {
    (personalFields.has(field) ? personal : rest)[field] = value;
  }
  return { subjectId, personal, rest };
}
