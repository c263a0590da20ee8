import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TABLES } from '../database/tables';

/** What replaces a redacted text: the ticket stays readable as a record, not as a story. */
export const ERASED_TEXT = '[erased]';

export interface ErasedPersonalData {
  tickets: number;
  comments: number;
}

/**
 * Forgets what a person wrote when they are erased: the title and description of the tickets
 * they requested and the bodies of the comments they authored. Ids, status, priority, SLA
 * times and tags (lowercase slugs that classify, not describe) stay, so the ticket history
 * and its statistics remain whole; others' comments on those tickets are theirs and stay too.
 * Each row is redacted once: a replayed erasure finds nothing left to do.
 */
@Injectable()
export class PersonalDataEraser {
  async erase(manager: EntityManager, userId: string, erasedAt: Date): Promise<ErasedPersonalData> {
    const [, tickets] = (await manager.query(
      `UPDATE ${TABLES.tickets}
          SET title = $2::text, description = $2::text, requester_erased_at = $3::timestamptz,
              updated_at = greatest(updated_at, $3::timestamptz)
        WHERE requester_id = $1 AND requester_erased_at IS NULL`,
      [userId, ERASED_TEXT, erasedAt],
    )) as [unknown, number];
    const [, comments] = (await manager.query(
      `UPDATE ${TABLES.comments} SET body = $2, author_erased_at = $3
        WHERE author_id = $1 AND author_erased_at IS NULL`,
      [userId, ERASED_TEXT, erasedAt],
    )) as [unknown, number];
    return { tickets, comments };
  }
}
