import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Tx } from '@servicedesk/messaging';
import { TABLES } from '../database/tables';
import { plannedReminders } from './reminder-schedule';

interface DueReminderRow {
  appointmentId: string;
  agentId: string;
  customerId: string;
  startsAt: Date;
  offsetMinutes: number;
  dueAt: Date;
}

/**
 * The reminder rows of appointments. A row is claimed and its `appointment.reminder_due`
 * emitted in one transaction, and claimed rows are marked, so each reminder of a scheduled
 * start is emitted exactly once however many detectors and replicas run.
 */
@Injectable()
export class Reminders {
  /** Adds the reminders of `startsAt` still in the future at `now`. */
  async schedule(
    manager: EntityManager,
    appointment: { id: string; startsAt: Date },
    offsetsMinutes: readonly number[],
    now: Date,
  ): Promise<void> {
    for (const reminder of plannedReminders(appointment.startsAt, offsetsMinutes, now)) {
      await manager.query(
        `INSERT INTO ${TABLES.reminders} (appointment_id, starts_at, offset_minutes, due_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [appointment.id, appointment.startsAt, reminder.offsetMinutes, reminder.dueAt],
      );
    }
  }

  /** Drops the reminders not emitted yet (the appointment moved, ended or was cancelled). */
  async dropUnsent(manager: EntityManager, appointmentIds: readonly string[]): Promise<void> {
    await manager.query(
      `DELETE FROM ${TABLES.reminders} WHERE appointment_id = ANY($1::uuid[]) AND emitted_at IS NULL`,
      [appointmentIds],
    );
  }

  /**
   * Claims up to `limit` reminders due at `now` and emits them. Rows another detector holds
   * are skipped, not waited for: whoever holds them emits them, and the rows are independent.
   */
  async emitDue(tx: Tx, now: Date, limit: number): Promise<number> {
    const rows = await queryRows<DueReminderRow>(
      tx.manager,
      `UPDATE ${TABLES.reminders} r SET emitted_at = $1
       FROM ${TABLES.appointments} a
       WHERE a.id = r.appointment_id
         AND (r.appointment_id, r.starts_at, r.offset_minutes) IN (
           SELECT appointment_id, starts_at, offset_minutes FROM ${TABLES.reminders}
           WHERE emitted_at IS NULL AND due_at <= $1
           ORDER BY due_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         )
       RETURNING r.appointment_id AS "appointmentId", a.agent_id AS "agentId",
                 a.customer_id AS "customerId", r.starts_at AS "startsAt",
                 r.offset_minutes AS "offsetMinutes", r.due_at AS "dueAt"`,
      [now, limit],
    );
    // RETURNING has no order: emit in due order, so consumers see the earlier reminder first
    // (emits issued together are written in one statement, in the order of the calls).
    rows.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
    await Promise.all(
      rows.map((row) =>
        tx.emit({
          type: 'appointment.reminder_due',
          aggregateId: row.appointmentId,
          actor: null,
          payload: {
            appointmentId: row.appointmentId,
            agentId: row.agentId,
            customerId: row.customerId,
            startsAt: row.startsAt.toISOString(),
            offsetMinutes: row.offsetMinutes,
          },
        }),
      ),
    );
    return rows.length;
  }
}
