import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log: an append-only, hash-chained table. The database itself refuses to change
 * or remove a row (UPDATE, DELETE and TRUNCATE raise), whoever the caller is; only a
 * superuser (session_replication_role = replica) or the table's owner (ALTER TABLE … DISABLE
 * TRIGGER) can get around it, and that is what the hash chain is there to expose.
 */
export class CreateAuditLog1795496842137 implements MigrationInterface {
  name = 'CreateAuditLog1795496842137';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit.audit_entry (
        seq            bigint      PRIMARY KEY CHECK (seq > 0),
        event_id       uuid        NOT NULL,
        type           text        NOT NULL,
        source         text        NOT NULL,
        aggregate_type text        NOT NULL,
        aggregate_id   text        NOT NULL,
        actor_id       uuid        NULL,
        actor_role     text        NULL CHECK (actor_role IN ('CUSTOMER', 'AGENT', 'ADMIN')),
        correlation_id text        NOT NULL,
        occurred_at    timestamptz NOT NULL,
        recorded_at    timestamptz NOT NULL,
        payload        jsonb       NOT NULL,
        prev_hash      char(64)    NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        hash           char(64)    NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        CONSTRAINT audit_entry_event_id_key UNIQUE (event_id),
        CONSTRAINT audit_entry_actor_complete CHECK ((actor_id IS NULL) = (actor_role IS NULL))
      )`);
    await queryRunner.query(
      `CREATE INDEX audit_entry_aggregate_idx ON audit.audit_entry (aggregate_type, aggregate_id, seq)`,
    );
    await queryRunner.query(
      `CREATE INDEX audit_entry_actor_idx ON audit.audit_entry (actor_id, seq)`,
    );
    await queryRunner.query(`CREATE INDEX audit_entry_type_idx ON audit.audit_entry (type, seq)`);
    await queryRunner.query(
      `CREATE INDEX audit_entry_occurred_at_idx ON audit.audit_entry (occurred_at)`,
    );

    await queryRunner.query(`
      CREATE FUNCTION audit.refuse_audit_entry_change() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit.audit_entry is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'Audit entries are never changed or removed; record a new event instead.';
      END
      $$`);
    // Statement-level, so even an UPDATE or DELETE that matches no row is refused.
    await queryRunner.query(`
      CREATE TRIGGER audit_entry_append_only
      BEFORE UPDATE OR DELETE OR TRUNCATE ON audit.audit_entry
      FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_audit_entry_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit.audit_entry`);
    await queryRunner.query(`DROP FUNCTION audit.refuse_audit_entry_change()`);
  }
}
