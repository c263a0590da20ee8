import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Crypto-shredding of personal data in the append-only log: one data key per person, and a
 * tombstone per erased person. Neither table is append-only: erasure deletes the key.
 */
export class CreateSubjectKeys1795600000000 implements MigrationInterface {
  name = 'CreateSubjectKeys1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit.subject_keys (
        subject_id uuid        PRIMARY KEY,
        key        bytea       NOT NULL CHECK (octet_length(key) = 32),
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE audit.erased_subjects (
        subject_id uuid        PRIMARY KEY,
        erased_at  timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit.erased_subjects`);
    await queryRunner.query(`DROP TABLE audit.subject_keys`);
  }
}
