import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each caller's idempotency keys made, one table per mutation: a repeat returns it, a
 * different request is refused. A key row is written before its ticket or comment in the
 * same transaction, hence the deferred foreign key; it goes when its result goes.
 */
function keyTable(name: string, resultColumn: string, results: string): string {
  return `
    CREATE TABLE ticket.${name} (
      caller_id uuid NOT NULL,
      idempotency_key varchar(200) NOT NULL,
      request_hash char(64) NOT NULL,
      ${resultColumn} uuid NOT NULL
        REFERENCES ticket.${results} (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
      created_at timestamptz(3) NOT NULL,
      PRIMARY KEY (caller_id, idempotency_key)
    )`;
}

export class CreateIdempotencyKeys1796300000000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(keyTable('ticket_idempotency_keys', 'ticket_id', 'tickets'));
    await queryRunner.query(keyTable('comment_idempotency_keys', 'comment_id', 'comments'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ticket.comment_idempotency_keys`);
    await queryRunner.query(`DROP TABLE ticket.ticket_idempotency_keys`);
  }
}
