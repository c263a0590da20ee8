import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a person's erasure reached a ticket they requested (its title and description were
 * redacted) or a comment they wrote (its body was). Null while nothing was erased.
 */
export class RecordPersonalDataErasure1795600000000 implements MigrationInterface {
  name = 'RecordPersonalDataErasure1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE ticket.tickets ADD COLUMN requester_erased_at timestamptz(3)`,
    );
    await queryRunner.query(
      `ALTER TABLE ticket.comments ADD COLUMN author_erased_at timestamptz(3)`,
    );
    // An erasure finds a person's comments by author; tickets have requester_idx already.
    await queryRunner.query(`CREATE INDEX comments_author_idx ON ticket.comments (author_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ticket.comments_author_idx`);
    await queryRunner.query(`ALTER TABLE ticket.comments DROP COLUMN author_erased_at`);
    await queryRunner.query(`ALTER TABLE ticket.tickets DROP COLUMN requester_erased_at`);
  }
}
