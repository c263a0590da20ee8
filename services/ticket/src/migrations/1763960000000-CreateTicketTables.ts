import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTicketTables1763960000000 implements MigrationInterface {
  name = 'CreateTicketTables1763960000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Millisecond precision: cursors and API values round-trip through JavaScript dates.
    await queryRunner.query(`
      CREATE TABLE ticket.tickets (
        id uuid PRIMARY KEY,
        title varchar(200) NOT NULL CHECK (length(title) > 0),
        description text NOT NULL,
        status varchar(32) NOT NULL
          CHECK (status IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED')),
        priority varchar(16) NOT NULL CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
        requester_id uuid NOT NULL,
        assignee_id uuid,
        tags text[] NOT NULL DEFAULT '{}',
        first_response_due_at timestamptz(3) NOT NULL,
        resolution_due_at timestamptz(3) NOT NULL,
        first_responded_at timestamptz(3),
        first_response_breached_at timestamptz(3),
        resolution_breached_at timestamptz(3),
        version integer NOT NULL CHECK (version > 0),
        created_at timestamptz(3) NOT NULL,
        updated_at timestamptz(3) NOT NULL
      )`);
    // Every list is ordered newest first by (created_at, id), within an optional owner.
    await queryRunner.query(
      `CREATE INDEX tickets_created_idx ON ticket.tickets (created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX tickets_requester_idx ON ticket.tickets (requester_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX tickets_assignee_idx ON ticket.tickets (assignee_id, created_at DESC, id DESC)
         WHERE assignee_id IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX tickets_tags_idx ON ticket.tickets USING gin (tags)`);
    // The SLA detector only ever looks at targets still pending.
    await queryRunner.query(
      `CREATE INDEX tickets_first_response_pending_idx ON ticket.tickets (first_response_due_at)
         WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX tickets_resolution_pending_idx ON ticket.tickets (resolution_due_at)
         WHERE resolution_breached_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE ticket.comments (
        id uuid PRIMARY KEY,
        ticket_id uuid NOT NULL REFERENCES ticket.tickets (id) ON DELETE CASCADE,
        author_id uuid NOT NULL,
        body text NOT NULL CHECK (length(body) > 0),
        internal boolean NOT NULL,
        created_at timestamptz(3) NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX comments_ticket_idx ON ticket.comments (ticket_id, created_at, id)`,
    );

    await queryRunner.query(`
      CREATE TABLE ticket.known_users (
        id uuid PRIMARY KEY,
        role varchar(16) NOT NULL CHECK (role IN ('CUSTOMER', 'AGENT', 'ADMIN')),
        role_as_of timestamptz(3) NOT NULL,
        erased_at timestamptz(3)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ticket.known_users`);
    await queryRunner.query(`DROP TABLE ticket.comments`);
    await queryRunner.query(`DROP TABLE ticket.tickets`);
  }
}
