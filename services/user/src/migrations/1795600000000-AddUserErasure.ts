import { MigrationInterface, QueryRunner } from 'typeorm';

/** When an account was erased (its personal data replaced); null for a living account. */
export class AddUserErasure1795600000000 implements MigrationInterface {
  name = 'AddUserErasure1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user"."users" ADD COLUMN "erased_at" timestamptz(3)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user"."users" DROP COLUMN "erased_at"`);
  }
}
