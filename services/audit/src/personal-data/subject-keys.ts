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
   * query reads keys and tombstones, one statement creates the missing keys, whatever the
   * number of people. Runs in the recording transaction, under the chain lock, which every
   * creation and erasure of a key takes: nothing can change them in between.
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
    const rows = (await manager.query(
      `SELECT subject.id::text AS "subjectId", k.key, e.subject_id IS NOT NULL AS erased
         FROM unnest($1::uuid[]) AS subject(id)
         LEFT JOIN ${keys} k ON k.subject_id = subject.id
         LEFT JOIN ${erased} e ON e.subject_id = subject.id`,
      [ids],
    )) as Array<{ subjectId: string; key: Buffer | null; erased: boolean }>;
    const missing: string[] = [];
    for (const row of rows) {
      if (row.erased) states.set(row.subjectId, { erased: true });
      else if (row.key) states.set(row.subjectId, { erased: false, key: row.key });
      else missing.push(row.subjectId);
    }
    if (missing.length > 0) {
      // The no-op update returns the stored key should one exist after all: the key a
      // value is sealed with is always the one kept.
      const created = (await manager.query(
        `INSERT INTO ${keys} AS stored (subject_id, key, created_at)
         SELECT id, key, now() FROM unnest($1::uuid[], $2::bytea[]) AS created(id, key)
         ON CONFLICT (subject_id) DO UPDATE SET key = stored.key
         RETURNING subject_id::text AS "subjectId", key`,
        [missing, missing.map(() => generateSubjectKey())],
      )) as Array<{ subjectId: string; key: Buffer }>;
      for (const row of created) states.set(row.subjectId, { erased: false, key: row.key });
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
   * Destroys the keys of the people erased and keeps a tombstone for each, with two
   * statements whatever their number; a second erasure of someone changes nothing (the
   * tombstone keeps the time of the first, as erasures one at a time would).
   */
  async shred(manager: EntityManager, erasures: readonly Erasure[]): Promise<void> {
    const first = new Map<string, Date>();
    for (const { subjectId, erasedAt } of erasures) {
      if (!first.has(subjectId.toLowerCase())) first.set(subjectId.toLowerCase(), erasedAt);
    }
    if (first.size === 0) return;
    await manager.query(
      `DELETE FROM ${manager.getRepository(SubjectKeyEntity).metadata.tablePath}
        WHERE subject_id = ANY($1::uuid[])`,
      [[...first.keys()]],
    );
    await manager.query(
      `INSERT INTO ${manager.getRepository(ErasedSubjectEntity).metadata.tablePath} (subject_id, erased_at)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
       ON CONFLICT (subject_id) DO NOTHING`,
      [[...first.keys()], [...first.values()]],
    );
  }
}
