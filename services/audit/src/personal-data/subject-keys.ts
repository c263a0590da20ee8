import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { generateSubjectKey } from './field-cipher';
import { SubjectKeyState } from './personal-payload';
import { ErasedSubjectEntity, SubjectKeyEntity } from './subject-key.entity';

/**
 * The people's data keys. Keys are stored as they are (not wrapped by a key from the
 * environment): whoever reads this table can read the personal data of the log.
 */
@Injectable()
export class SubjectKeys {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The key of `subjectId`, created on first need, or `erased` for a person already erased
   * (who never gets a key again). Runs in the recording transaction, under the chain lock.
   */
  async forRecording(manager: EntityManager, subjectId: string): Promise<SubjectKeyState> {
    if (await manager.getRepository(ErasedSubjectEntity).existsBy({ subjectId })) {
      return { erased: true };
    }
    const keys = manager.getRepository(SubjectKeyEntity);
    await manager.query(
      `INSERT INTO ${keys.metadata.tablePath} (subject_id, key, created_at) VALUES ($1, $2, now())
       ON CONFLICT (subject_id) DO NOTHING`,
      [subjectId, generateSubjectKey()],
    );
    const { key } = await keys.findOneByOrFail({ subjectId });
    return { erased: false, key };
  }

  /** The keys of those of `subjectIds` that still have one, by lower-case id, in one query. */
  async find(subjectIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (subjectIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(SubjectKeyEntity)
      .findBy({ subjectId: In([...new Set(subjectIds)]) });
    return new Map(rows.map((row) => [row.subjectId.toLowerCase(), row.key]));
  }

  /** Destroys the key of `subjectId` and keeps a tombstone; a second erasure changes nothing. */
  async shred(manager: EntityManager, subjectId: string, erasedAt: Date): Promise<void> {
    await manager.getRepository(SubjectKeyEntity).delete({ subjectId });
    await manager
      .createQueryBuilder()
      .insert()
      .into(ErasedSubjectEntity)
      .values({ subjectId, erasedAt })
      .orIgnore()
      .execute();
  }
}
