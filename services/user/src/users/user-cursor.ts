import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@servicedesk/platform';

/** Where a page of users ends: the ordering key of its last user. */
export interface UserCursor {
  createdAt: Date;
  id: string;
}

const isDate = (value: string) => !Number.isNaN(new Date(value).getTime());

const positionSchema = z.tuple([z.string().refine(isDate), z.uuid()]);

export function encodeUserCursor(cursor: UserCursor): string {
  return encodeCursor([cursor.createdAt.toISOString(), cursor.id]);
}

/** Throws BAD_USER_INPUT on `after` for anything this list did not hand out. */
export function decodeUserCursor(value: string): UserCursor {
  const [createdAt, id] = decodeCursor(value, positionSchema);
  return { createdAt: new Date(createdAt), id };
}
