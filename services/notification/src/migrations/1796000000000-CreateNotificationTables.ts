import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNotificationTables1796000000000 implements MigrationInterface {
  name = 'CreateNotificationTables1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // What the service knows of people, from user events. A row may exist before its
    // `user.registered` (a role change overtook it): without an email it notifies nobody.
    // An erased person keeps only the tombstone (id, erased_at).
    await queryRunner.query(`
      CREATE TABLE notification.recipients (
        id uuid PRIMARY KEY,
        email varchar(320),
        name varchar(200),
        time_zone varchar(64),
        profile_as_of timestamptz(3),
        role varchar(16) CHECK (role IN ('CUSTOMER', 'AGENT', 'ADMIN')),
        role_as_of timestamptz(3),
        erased_at timestamptz(3)
      )`);

    // Ticket titles for the templates, from ticket.created.
    await queryRunner.query(`
      CREATE TABLE notification.tickets (
        id uuid PRIMARY KEY,
        title varchar(200) NOT NULL,
        requester_id uuid NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX tickets_requester_idx ON notification.tickets (requester_id)`,
    );

    // Quiet hours are minutes of the day in the person's own time zone; both or neither.
    await queryRunner.query(`
      CREATE TABLE notification.preferences (
        user_id uuid PRIMARY KEY,
        categories jsonb NOT NULL DEFAULT '{}',
        quiet_hours_start smallint CHECK (quiet_hours_start BETWEEN 0 AND 1439),
        quiet_hours_end smallint CHECK (quiet_hours_end BETWEEN 0 AND 1439),
        updated_at timestamptz(3) NOT NULL,
        CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)),
        CHECK (quiet_hours_start IS NULL OR quiet_hours_start <> quiet_hours_end)
      )`);

    // One row per (event, recipient, channel): a redelivered event never notifies twice.
    await queryRunner.query(`
      CREATE TABLE notification.notifications (
        id uuid PRIMARY KEY,
        source_event_id uuid NOT NULL,
        type varchar(64) NOT NULL,
        category varchar(32) NOT NULL,
        recipient_id uuid NOT NULL,
        channel varchar(8) NOT NULL CHECK (channel IN ('EMAIL', 'IN_APP')),
        status varchar(8) NOT NULL CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
        critical boolean NOT NULL,
        title varchar(300) NOT NULL,
        body text NOT NULL,
        html text,
        email_to varchar(320),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        last_error varchar(500),
        deliver_after timestamptz(3) NOT NULL,
        sent_at timestamptz(3),
        read_at timestamptz(3),
        created_at timestamptz(3) NOT NULL,
        CONSTRAINT notifications_once UNIQUE (source_event_id, recipient_id, channel),
        CHECK (channel = 'IN_APP' OR (html IS NOT NULL AND email_to IS NOT NULL))
      )`);
    // Inbox pages, newest first, per recipient.
    await queryRunner.query(
      `CREATE INDEX notifications_recipient_idx
         ON notification.notifications (recipient_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX notifications_unread_idx ON notification.notifications (recipient_id)
         WHERE channel = 'IN_APP' AND read_at IS NULL`,
    );
    // The release loop only ever looks at emails still to send.
    await queryRunner.query(
      `CREATE INDEX notifications_due_idx ON notification.notifications (deliver_after, id)
         WHERE status = 'PENDING'`,
    );
    // Operators list failed deliveries.
    await queryRunner.query(
      `CREATE INDEX notifications_status_idx
         ON notification.notifications (status, created_at DESC, id DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notification.notifications`);
    await queryRunner.query(`DROP TABLE notification.preferences`);
    await queryRunner.query(`DROP TABLE notification.tickets`);
    await queryRunner.query(`DROP TABLE notification.recipients`);
  }
}
