import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An email being sent stays PENDING under a lease its claim commits (`sending_until`): no one
 * else sends it before then, and past it (the sender died mid-send) it is due again.
 */
export class AddEmailSendingLease1796400000000 implements MigrationInterface {
  name = 'AddEmailSendingLease1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE notification.notifications ADD COLUMN sending_until timestamptz(3)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notification.notifications DROP COLUMN sending_until`);
  }
}
