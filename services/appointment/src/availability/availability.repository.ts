import { queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TABLES } from '../database/tables';
import type { Interval } from '../slots/slot-calculator';
import type { Availability, TimeOff } from './availability.model';

const AVAILABILITY_COLUMNS = `agent_id AS "agentId", time_zone AS "timeZone", weekly_hours AS "weeklyHours",
  buffer_minutes AS "bufferMinutes", minimum_notice_minutes AS "minimumNoticeMinutes",
  booking_window_days AS "bookingWindowDays", updated_at AS "updatedAt"`;

const TIME_OFF_COLUMNS = `id, agent_id AS "agentId", starts_at AS "startsAt", ends_at AS "endsAt", reason`;

/** Every statement on calendar settings and time off. */
@Injectable()
export class AvailabilityRepository {
  async save(manager: EntityManager, availability: Availability): Promise<Availability> {
    const [saved] = await queryRows<Availability>(
      manager,
      `INSERT INTO ${TABLES.availability} AS a (agent_id, time_zone, weekly_hours, buffer_minutes,
         minimum_notice_minutes, booking_window_days, updated_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)
       ON CONFLICT (agent_id) DO UPDATE SET time_zone = EXCLUDED.time_zone,
         weekly_hours = EXCLUDED.weekly_hours, buffer_minutes = EXCLUDED.buffer_minutes,
         minimum_notice_minutes = EXCLUDED.minimum_notice_minutes,
         booking_window_days = EXCLUDED.booking_window_days, updated_at = EXCLUDED.updated_at
       RETURNING ${AVAILABILITY_COLUMNS}`,
      [
        availability.agentId,
        availability.timeZone,
        JSON.stringify(availability.weeklyHours),
        availability.bufferMinutes,
        availability.minimumNoticeMinutes,
        availability.bookingWindowDays,
        availability.updatedAt,
      ],
    );
    return saved;
  }

  async find(manager: EntityManager, agentId: string): Promise<Availability | undefined> {
    const [availability] = await queryRows<Availability>(
      manager,
      `SELECT ${AVAILABILITY_COLUMNS} FROM ${TABLES.availability} WHERE agent_id = $1`,
      [agentId],
    );
    return availability;
  }

  async insertTimeOff(manager: EntityManager, timeOff: TimeOff, now: Date): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.timeOff} (id, agent_id, starts_at, ends_at, reason, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [timeOff.id, timeOff.agentId, timeOff.startsAt, timeOff.endsAt, timeOff.reason, now],
    );
  }

  async deleteTimeOff(manager: EntityManager, id: string): Promise<TimeOff | undefined> {
    const [removed] = await queryRows<TimeOff>(
      manager,
      `DELETE FROM ${TABLES.timeOff} WHERE id = $1 RETURNING ${TIME_OFF_COLUMNS}`,
      [id],
    );
    return removed;
  }

  async findTimeOff(manager: EntityManager, id: string): Promise<TimeOff | undefined> {
    const [timeOff] = await queryRows<TimeOff>(
      manager,
      `SELECT ${TIME_OFF_COLUMNS} FROM ${TABLES.timeOff} WHERE id = $1`,
      [id],
    );
    return timeOff;
  }

  /** Time off of the agent ending after `after`, earliest first. */
  async upcomingTimeOff(manager: EntityManager, agentId: string, after: Date): Promise<TimeOff[]> {
    return queryRows<TimeOff>(
      manager,
      `SELECT ${TIME_OFF_COLUMNS} FROM ${TABLES.timeOff} WHERE agent_id = $1 AND ends_at > $2
       ORDER BY starts_at, id`,
      [agentId, after],
    );
  }

  /** Time off of the agent overlapping `span`. */
  async timeOffWithin(
    manager: EntityManager,
    agentId: string,
    span: Interval,
  ): Promise<Interval[]> {
    return queryRows<Interval>(
      manager,
      `SELECT starts_at AS "start", ends_at AS "end" FROM ${TABLES.timeOff}
       WHERE agent_id = $1 AND starts_at < $3 AND ends_at > $2`,
      [agentId, span.start, span.end],
    );
  }

  /** Forgets an agent's calendar (erasure). */
  async deleteCalendarOf(manager: EntityManager, agentId: string): Promise<void> {
    await manager.query(`DELETE FROM ${TABLES.timeOff} WHERE agent_id = $1`, [agentId]);
    await manager.query(`DELETE FROM ${TABLES.availability} WHERE agent_id = $1`, [agentId]);
  }
}
