import { EventEnvelope, isEvent, splitPersonalData } from '@servicedesk/contracts';
import { JsonObject, JsonValue } from '../audit-log/canonical-json';
import { decryptField, encryptField } from './field-cipher';

/**
 * How a personal field is stored in the audit log (per the contracts' personal-data map):
 * `{"$personal":"v1.<iv>.<ciphertext>.<tag>"}`, sealed with the key of the person it is
 * about, or `{"$personal":null}` when that person was already erased when the event was
 * recorded. The chain hashes this stored form, so destroying a key never breaks it.
 */
const TAG = '$personal';

type SealedField = { [TAG]: string | null };

function isSealedField(value: JsonValue | undefined): value is SealedField {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    (typeof value[TAG] === 'string' || value[TAG] === null)
  );
}

function asObject(payload: JsonValue): JsonObject | null {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
    ? payload
    : null;
}

/** The person an event erases (lower case): the subject of `user.erased`, null for any other event. */
export function subjectErasedBy(event: EventEnvelope): string | null {
  return isEvent(event, 'user.erased') ? event.payload.userId.toLowerCase() : null;
}

/** What the recorder knows of the subject: their key, or that they were erased. */
export type SubjectKeyState = { erased: true } | { erased: false; key: Buffer };

/**
 * The person whose personal data a payload about to be recorded carries, or null when it
 * carries none worth sealing (its type has none, or every personal field is null).
 */
export function subjectToSeal(type: string, payload: JsonValue): string | null {
  const object = asObject(payload);
  const split = object && splitPersonalData(type, object);
  if (!split) return null;
  return Object.values(split.personal).some((value) => value !== null && value !== undefined)
    ? split.subjectId
    : null;
}

/** The stored form of `payload`: each non-null personal field sealed, or blanked when erased. */
export function sealPayload(type: string, payload: JsonValue, subject: SubjectKeyState): JsonValue {
  const object = asObject(payload);
  const split = object && splitPersonalData(type, object);
  if (!object || !split) return payload;
  const sealed: JsonObject = { ...object };
  for (const [field, value] of Object.entries(split.personal)) {
    if (value === null || value === undefined) continue;
    sealed[field] = {
      [TAG]: subject.erased ? null : encryptField(subject.key, split.subjectId, field, value),
    };
  }
  return sealed;
}

/** The person whose key is needed to read a stored payload, or null when none is. */
export function subjectToReveal(type: string, stored: JsonValue): string | null {
  const object = asObject(stored);
  const split = object && splitPersonalData(type, object);
  if (!split) return null;
  const sealed = Object.values(split.personal).some(
    (value) => isSealedField(value) && value[TAG] !== null,
  );
  return sealed ? split.subjectId.toLowerCase() : null;
}

export interface RevealedPayload {
  payload: JsonValue;
  /** True when some personal field could not be read: its person was erased. */
  personalDataErased: boolean;
}

/**
 * A stored payload as readers see it: sealed fields decrypted with the keys at hand
 * (subject id, lower case → key), null where the key is gone. Payloads recorded before
 * sealing existed hold their personal fields in clear and are returned as they are.
 */
export function revealPayload(
  type: string,
  stored: JsonValue,
  keys: ReadonlyMap<string, Buffer>,
): RevealedPayload {
  const object = asObject(stored);
  const split = object && splitPersonalData(type, object);
  if (!object || !split) return { payload: stored, personalDataErased: false };
  const key = keys.get(split.subjectId.toLowerCase());
  const revealed: JsonObject = { ...object };
  let personalDataErased = false;
  for (const [field, value] of Object.entries(split.personal)) {
    if (!isSealedField(value)) continue;
    const sealed = value[TAG];
    if (sealed !== null && key) {
      revealed[field] = decryptField(key, split.subjectId, field, sealed);
    } else {
      revealed[field] = null;
      personalDataErased = true;
    }
  }
  return { payload: revealed, personalDataErased };
}
