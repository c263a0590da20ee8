import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * `audit.subject_keys`: the data key of each person with personal data in the log. Unlike
 * the log, rows here are deleted: deleting one is what makes that person's data unreadable.
 */
@Entity({ name: 'subject_keys' })
export class SubjectKeyEntity {
  @PrimaryColumn({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @Column({ type: 'bytea' })
  key!: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** `audit.erased_subjects`: people erased, so no later event gives them a key again. */
@Entity({ name: 'erased_subjects' })
export class ErasedSubjectEntity {
  @PrimaryColumn({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @Column({ name: 'erased_at', type: 'timestamptz' })
  erasedAt!: Date;
}
