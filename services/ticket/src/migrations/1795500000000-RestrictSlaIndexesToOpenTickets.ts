import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SLA detector's partial indexes held every ticket whose target was never flagged,
 * resolved and closed ones included, so each run walked all the tickets ever resolved on
 * time. They now hold only the tickets the detector can flag: those still waited on. The
 * detector repeats the status condition literally (`sla-breaches.service.ts`), which lets
 * the planner prove its query implies these predicates.
 */
export class RestrictSlaIndexesToOpenTickets1795500000000 implements MigrationInterface {
  name = 'RestrictSlaIndexesToOpenTickets1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ticket.tickets_first_response_pending_idx`);
    await queryRunner.query(`DROP INDEX ticket.tickets_resolution_pending_idx`);
    await queryRunner.query(
      `CREATE INDEX tickets_first_response_pending_idx ON ticket.tickets (first_response_due_at)
         WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL
           AND status NOT IN ('RESOLVED', 'CLOSED')`,
    );
    await queryRunner.query(
      `CREATE INDEX tickets_resolution_pending_idx ON ticket.tickets (resolution_due_at)
         WHERE resolution_breached_at IS NULL AND status NOT IN ('RESOLVED', 'CLOSED')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ticket.tickets_first_response_pending_idx`);
    await queryRunner.query(`DROP INDEX ticket.tickets_resolution_pending_idx`);
    await queryRunner.query(
      `CREATE INDEX tickets_first_response_pending_idx ON ticket.tickets (first_response_due_at)
         WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX tickets_resolution_pending_idx ON ticket.tickets (resolution_due_at)
         WHERE resolution_breached_at IS NULL`,
    );
  }
}
