import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUserTables1795400000000 implements MigrationInterface {
  name = 'CreateUserTables1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "user"."users" (
        "id" uuid PRIMARY KEY,
        "email" varchar(254) NOT NULL,
        "name" varchar(100) NOT NULL,
        "role" varchar(16) NOT NULL CHECK ("role" IN ('CUSTOMER', 'AGENT', 'ADMIN')),
        "time_zone" varchar(64) NOT NULL,
        "password_hash" text NOT NULL,
        "locked_until" timestamptz(3),
        "created_at" timestamptz(3) NOT NULL,
        "updated_at" timestamptz(3) NOT NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "users_email_lower_key" ON "user"."users" (lower("email"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "users_created_at_id_idx" ON "user"."users" ("created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "users_role_created_at_id_idx" ON "user"."users" ("role", "created_at", "id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "user"."refresh_tokens" (
        "id" uuid PRIMARY KEY,
        "family_id" uuid NOT NULL,
        "user_id" uuid NOT NULL REFERENCES "user"."users" ("id") ON DELETE CASCADE,
        "token_hash" char(64) NOT NULL,
        "expires_at" timestamptz(3) NOT NULL,
        "created_at" timestamptz(3) NOT NULL,
        "rotated_at" timestamptz(3),
        "replaced_by_id" uuid REFERENCES "user"."refresh_tokens" ("id") ON DELETE SET NULL,
        "revoked_at" timestamptz(3)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "user"."refresh_tokens" ("token_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "refresh_tokens_family_id_idx" ON "user"."refresh_tokens" ("family_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "refresh_tokens_user_id_idx" ON "user"."refresh_tokens" ("user_id")`,
    );

    await queryRunner.query(`
      CREATE TABLE "user"."login_failures" (
        "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "user_id" uuid NOT NULL REFERENCES "user"."users" ("id") ON DELETE CASCADE,
        "attempted_at" timestamptz(3) NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX "login_failures_user_id_attempted_at_idx" ON "user"."login_failures" ("user_id", "attempted_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "user"."login_failures"`);
    await queryRunner.query(`DROP TABLE "user"."refresh_tokens"`);
    await queryRunner.query(`DROP TABLE "user"."users"`);
  }
}
