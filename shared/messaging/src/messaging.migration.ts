import { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdentifier } from '@servicedesk/platform';
import { outboxChannel } from './topology';

const MIGRATION_NAME = 'MessagingTables1763942400000';

/**
 * The outbox, inbox and subscription tables of one service schema. Each service lists it
 * first in its DataSource's migrations: `messagingMigration('ticket')`.
 *
 * A statement-level trigger NOTIFYs the relay on every insert into the outbox. NOTIFY is
 * transactional, so the relay wakes when the state change commits and never for a
 * rolled-back one, and no code path that writes the outbox can forget it.
 */
// TypeORM lists migrations as constructors of any shape.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function messagingMigration(schema: string): Function {
  const s = quoteIdentifier(schema);
  const channel = outboxChannel(schema).replace(/'/g, "''");

  class MessagingTables1763942400000 implements MigrationInterface {
    readonly name = MIGRATION_NAME;

    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.outbox (
          id uuid PRIMARY KEY,
          seq bigserial NOT NULL UNIQUE,
          aggregate_type text NOT NULL,
          aggregate_id text NOT NULL,
          event_type text NOT NULL,
          envelope jsonb NOT NULL,
          headers jsonb NOT NULL DEFAULT '{}'::jsonb,
          status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'PUBLISHED', 'FAILED')),
          attempts integer NOT NULL DEFAULT 0,
          last_error text,
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          created_at timestamptz NOT NULL DEFAULT now(),
          published_at timestamptz
        )`);
      await queryRunner.query(
        `CREATE INDEX outbox_pending_idx ON ${s}.outbox (seq) WHERE status = 'PENDING'`,
      );
      await queryRunner.query(
        `CREATE INDEX outbox_failed_idx ON ${s}.outbox (seq) WHERE status = 'FAILED'`,
      );
      await queryRunner.query(
        `CREATE INDEX outbox_aggregate_idx ON ${s}.outbox (aggregate_type, aggregate_id, seq)`,
      );
      await queryRunner.query(
        `CREATE INDEX outbox_published_idx ON ${s}.outbox (published_at) WHERE status = 'PUBLISHED'`,
      );
      await queryRunner.query(`
        CREATE FUNCTION ${s}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('${channel}', '');
          RETURN NULL;
        END $$`);
      await queryRunner.query(`
        CREATE TRIGGER outbox_notify AFTER INSERT ON ${s}.outbox
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.outbox_notify()`);

      await queryRunner.query(`
        CREATE TABLE ${s}.inbox (
          consumer text NOT NULL,
          message_id uuid NOT NULL,
          event_type text NOT NULL,
          processed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, message_id)
        )`);

      await queryRunner.query(`
        CREATE TABLE ${s}.messaging_subscriptions (
          queue text PRIMARY KEY,
          events text[] NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.messaging_subscriptions`);
      await queryRunner.query(`DROP TABLE ${s}.inbox`);
      await queryRunner.query(`DROP TRIGGER outbox_notify ON ${s}.outbox`);
      await queryRunner.query(`DROP FUNCTION ${s}.outbox_notify()`);
      await queryRunner.query(`DROP TABLE ${s}.outbox`);
    }
  }
  return MessagingTables1763942400000;
}
