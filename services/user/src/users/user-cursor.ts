import { BadUserInputError } from '@servicedesk/platform';
import { isUuid } from './uuid';

/** Where a page of users ends: the ordering key of its last user. */
export interface UserCursor {
  createdAt: Date;
  id: string;
}

export function encodeUserCursor(cursor: UserCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString(
    'base64url',
  );
}

/** Throws BAD_USER_INPUT on `field` for anything this list did not hand out. */
export function decodeUserCursor(value: string, field = 'after'): UserCursor {
  const invalid = () => new BadUserInputError(field, `${field} is not a cursor of this list`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid();
  const [createdAt, id] = decoded as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !isUuid(id)) throw invalid();
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) throw invalid();
  return { createdAt: date, id };
}
