import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { JsonValue } from '../audit-log/canonical-json';

/**
 * AES-256-GCM for one personal field: a 256-bit key per person, a random 96-bit IV per value,
 * and the person and field as associated data, so a ciphertext cannot be moved to another
 * field or person. The sealed form is `v1.<iv>.<ciphertext>.<tag>`, each part base64url; the
 * plaintext is the JSON of the value, so any JSON value round-trips.
 */
const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';
export const KEY_BYTES = 32;
const IV_BYTES = 12;

// IVs come from a pool of random bytes refilled 256 IVs at a time, as Node's randomUUID does:
// one call to the CSPRNG per pool instead of one per value. Each IV is handed out once.
const IV_POOL_BYTES = IV_BYTES * 256;
let ivPool = Buffer.alloc(0);
let ivPoolOffset = 0;

function freshIv(): Buffer {
  if (ivPoolOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES);
    ivPoolOffset = 0;
  }
  ivPoolOffset += IV_BYTES;
  return ivPool.subarray(ivPoolOffset - IV_BYTES, ivPoolOffset);
}

export function generateSubjectKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

function associatedData(subjectId: string, field: string): Buffer {
  return Buffer.from(`${subjectId.toLowerCase()}/${field}`, 'utf8');
}

export function encryptField(
  key: Buffer,
  subjectId: string,
  field: string,
  value: JsonValue,
): string {
  const iv = freshIv();
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(associatedData(subjectId, field));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return `${VERSION}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher
    .getAuthTag()
    .toString('base64url')}`;
}

/** Throws when `sealed` is not a value this module sealed for that person and field. */
export function decryptField(
  key: Buffer,
  subjectId: string,
  field: string,
  sealed: string,
): JsonValue {
  const [version, iv, ciphertext, tag, ...extra] = sealed.split('.');
  if (version !== VERSION || tag === undefined || extra.length > 0) {
    throw new Error(`not a sealed personal field (expected ${VERSION}.<iv>.<ciphertext>.<tag>)`);
  }
  const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(associatedData(subjectId, field));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const plaintext = Buffer.concat([
    decipher.update(Buffer.from(ciphertext, 'base64url')),
    decipher.final(),
  ]);
  return JSON.parse(plaintext.toString('utf8')) as JsonValue;
}
