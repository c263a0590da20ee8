import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAppointmentTables1796000000000 implements MigrationInterface {
  name = 'CreateAppointmentTables1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The no-overlap guarantee below is an exclusion constraint mixing `=` on a uuid with `&&`
    // on a range, which needs btree_gist. Creating an extension takes a superuser (or a role
    // allowed to): where the service's runtime role is not one, a DBA installs it in the
    // database beforehand and this statement is then a no-op.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);

    // An agent's calendar settings. `weekly_hours` is a list of
    // { weekday (ISO 1-7), startTime, endTime ("HH:MM", local to time_zone) }.
    await queryRunner.query(`
      CREATE TABLE appointment.availability (
        agent_id uuid PRIMARY KEY,
        time_zone text NOT NULL,
        weekly_hours jsonb NOT NULL,
        buffer_minutes integer NOT NULL CHECK (buffer_minutes >= 0),
        minimum_notice_minutes integer NOT NULL CHECK (minimum_notice_minutes >= 0),
        booking_window_days integer NOT NULL CHECK (booking_window_days > 0),
        updated_at timestamptz(3) NOT NULL
      )`);

    await queryRunner.query(`
      CREATE TABLE appointment.time_off (
        id uuid PRIMARY KEY,
        agent_id uuid NOT NULL,
        starts_at timestamptz(3) NOT NULL,
        ends_at timestamptz(3) NOT NULL,
        reason text,
        created_at timestamptz(3) NOT NULL,
        CHECK (ends_at > starts_at)
      )`);
    await queryRunner.query(
      `CREATE INDEX time_off_agent_idx ON appointment.time_off (agent_id, ends_at)`,
    );

    // `blocked` is the time the appointment keeps the agent busy: from its start until the
    // agent's buffer after its end. Two confirmed appointments of one agent never have
    // overlapping blocked ranges, so consecutive ones are at least a buffer apart on either
    // side. It is a stored column, not a generated one: timestamptz ± interval is not
    // immutable in PostgreSQL, and the buffer is the one in force when the slot was taken.
    await queryRunner.query(`
      CREATE TABLE appointment.appointments (
        id uuid PRIMARY KEY,
        agent_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        ticket_id uuid,
        starts_at timestamptz(3) NOT NULL,
        ends_at timestamptz(3) NOT NULL,
        blocked tstzrange NOT NULL,
        status varchar(16) NOT NULL
          CHECK (status IN ('CONFIRMED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')),
        notes text,
        cancellation_reason text,
        reschedule_reason text,
        version integer NOT NULL CHECK (version > 0),
        created_at timestamptz(3) NOT NULL,
        updated_at timestamptz(3) NOT NULL,
        CHECK (ends_at > starts_at),
        CONSTRAINT appointments_agent_not_double_booked
          EXCLUDE USING gist (agent_id WITH =, blocked WITH &&) WHERE (status = 'CONFIRMED')
      )`);
    // Lists are ordered by (starts_at, id), within an optional participant or ticket.
    await queryRunner.query(
      `CREATE INDEX appointments_start_idx ON appointment.appointments (starts_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX appointments_agent_idx ON appointment.appointments (agent_id, starts_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX appointments_customer_idx ON appointment.appointments (customer_id, starts_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX appointments_ticket_idx ON appointment.appointments (ticket_id, starts_at, id)
         WHERE ticket_id IS NOT NULL`,
    );

    // One row per reminder of one scheduled start: a reschedule adds the rows of the new start.
    await queryRunner.query(`
      CREATE TABLE appointment.reminders (
        appointment_id uuid NOT NULL REFERENCES appointment.appointments (id) ON DELETE CASCADE,
        starts_at timestamptz(3) NOT NULL,
        offset_minutes integer NOT NULL CHECK (offset_minutes > 0),
        due_at timestamptz(3) NOT NULL,
        emitted_at timestamptz(3),
        PRIMARY KEY (appointment_id, starts_at, offset_minutes)
      )`);
    await queryRunner.query(
      `CREATE INDEX reminders_pending_idx ON appointment.reminders (due_at) WHERE emitted_at IS NULL`,
    );

    // What an idempotency key booked: a repeat returns it, a different request is refused.
    await queryRunner.query(`
      CREATE TABLE appointment.booking_requests (
        caller_id uuid NOT NULL,
        idempotency_key varchar(200) NOT NULL,
        request_hash char(64) NOT NULL,
        appointment_id uuid NOT NULL
          REFERENCES appointment.appointments (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz(3) NOT NULL,
        PRIMARY KEY (caller_id, idempotency_key)
      )`);

    await queryRunner.query(`
      CREATE TABLE appointment.known_users (
        id uuid PRIMARY KEY,
        role varchar(16) NOT NULL CHECK (role IN ('CUSTOMER', 'AGENT', 'ADMIN')),
        role_as_of timestamptz(3) NOT NULL,
        erased_at timestamptz(3)
      )`);

    await queryRunner.query(`
      CREATE TABLE appointment.known_tickets (
        id uuid PRIMARY KEY,
        requester_id uuid NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE appointment.known_tickets`);
    await queryRunner.query(`DROP TABLE appointment.known_users`);
    await queryRunner.query(`DROP TABLE appointment.booking_requests`);
    await queryRunner.query(`DROP TABLE appointment.reminders`);
    await queryRunner.query(`DROP TABLE appointment.appointments`);
    await queryRunner.query(`DROP TABLE appointment.time_off`);
    await queryRunner.query(`DROP TABLE appointment.availability`);
  }
}
