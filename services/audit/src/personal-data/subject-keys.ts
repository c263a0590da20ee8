import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { generateSubjectKey } from './field-cipher';
import { SubjectKeyState } from './personal-payload';
import { ErasedSubjectEntity, SubjectKeyEntity } from './subject-key.entity';

/** A person erased, and when. */
export interface Erasure {
  subjectId: string;
  erasedAt: Date;
}

/**
 * The people's data keys. Keys are stored as they are (not wrapped by a key from the
 * environment): whoever reads this table can read the personal data of the log.
 */
@Injectable()
export class SubjectKeys {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * What the recorder needs of each of `subjectIds` (by lower-case id): their key, created on
   * first need, or `erased` for a person already erased (who never gets a key again). One
   * statement, whatever the number of people: it offers a fresh key for each, stores those of
   * people with neither a key nor a tombstone, and reads back the key kept and the tombstones.
   * Runs in the recording transaction, under the chain lock, which every creation and erasure
   * of a key takes: nothing can change them in between.
   */
  async forRecording(
    manager: EntityManager,
    subjectIds: readonly string[],
  ): Promise<Map<string, SubjectKeyState>> {
    const ids = [...new Set(subjectIds.map((id) => id.toLowerCase()))];
    const states = new Map<string, SubjectKeyState>();
    if (ids.length === 0) return states;
    const keys = manager.getRepository(SubjectKeyEntity).metadata.tablePath;
    const erased = manager.getRepository(ErasedSubjectEntity).metadata.tablePath;
    // The outer SELECT sees the tables as they were before the INSERT of the same statement:
    // an existing key comes from `stored`, a new one from `created`.
    const rows = (await manager.query(
      `WITH offered AS (SELECT * FROM unnest($1::uuid[], $2::bytea[]) AS offered(id, key)),
            created AS (
              INSERT INTO ${keys} (subject_id, key, created_at)
              SELECT offered.id, offered.key, now() FROM offered
               WHERE NOT EXISTS (SELECT 1 FROM ${erased} e WHERE e.subject_id = offered.id)
              ON CONFLICT (subject_id) DO NOTHING
              RETURNING subject_id, key)
       SELECT offered.id::text AS "subjectId", coalesce(created.key, stored.key) AS key,
              tombstone.subject_id IS NOT NULL AS erased
         FROM offered
         LEFT JOIN created ON created.subject_id = offered.id
         LEFT JOIN ${keys} stored ON stored.subject_id = offered.id
         LEFT JOIN ${erased} tombstone ON tombstone.subject_id = offered.id`,
      [ids, ids.map(() => generateSubjectKey())],
    )) as Array<{ subjectId: string; key: Buffer | null; erased: boolean }>;
    for (const { subjectId, key, erased: isErased } of rows) {
      if (isErased) states.set(subjectId, { erased: true });
      else if (key) states.set(subjectId, { erased: false, key });
      // Only a key committed by someone not holding the chain lock gets here: try again.
      else throw new Error(`the key of subject ${subjectId} changed while it was being created`);
    }
    return states;
  }

  /** The keys of those of `subjectIds` that still have one, by lower-case id, in one query. */
  async find(subjectIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (subjectIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(SubjectKeyEntity)
      .findBy({ subjectId: In([...new Set(subjectIds)]) });
    return new Map(rows.map((row) => [row.subjectId.toLowerCase(), row.key]));
  }

  /**
   * Destroys the keys of the people erased and keeps a tombstone for each, in one statement
   * whatever their number; a second erasure of someone changes nothing (the tombstone keeps
   * the time of the first, as erasures one at a time would).
   */
  async shred(manager: EntityManager, erasures: readonly Erasure[]): Promise<void> {
    const first = new Map<string, Date>();
    for (const { subjectId, erasedAt } of erasures) {
      if (!first.has(subjectId.toLowerCase())) first.set(subjectId.toLowerCase(), erasedAt);
    }
    if (first.size === 0) return;
    await manager.query(
      `WITH shredded AS (
         DELETE FROM ${manager.getRepository(SubjectKeyEntity).metadata.tablePath}
          WHERE subject_id = ANY($1::uuid[]))
       INSERT INTO ${manager.getRepository(ErasedSubjectEntity).metadata.tablePath} (subject_id, erased_at)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
       ON CONFLICT (subject_id) DO NOTHING`,
      [[...first.keys()], [...first.values()]],
    );
  }
}
