import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { BadUserInputError, CLOCK, Clock, ConflictError, queryRows } from '@servicedesk/platform';
import { AvailabilityRepository } from '../availability/availability.repository';
import { APPOINTMENT_CONFIG, AppointmentConfig } from '../config';
import { TABLES } from '../database/tables';
import { UserDirectory } from '../directory/user-directory.service';
import {
  AgentSchedule,
  Interval,
  availableSlots,
  describeRejection,
  slotRejection,
} from './slot-calculator';
import { AvailableSlotsArgs, MAX_DURATION_MINUTES } from './slot.inputs';

const MINUTE_MS = 60_000;

/**
 * A slot another confirmed appointment holds. CONFLICT, not BAD_USER_INPUT: the start was
 * (or could have been) offered, and whether a concurrent booking wins before this check or
 * at the database's exclusion constraint is timing; the client gets the same answer.
 */
export function slotTakenError(start: Date): ConflictError {
  return new ConflictError(
    `the agent is no longer free at ${start.toISOString()}; choose another slot`,
  );
}

/**
 * Feeds the slot calculator from the database: the agent's settings, their time off and the
 * ranges their confirmed appointments block. Listing slots and checking a booking's start go
 * through the same calculator with the same data, so a start is bookable exactly when
 * `availableSlots` offers it.
 */
@Injectable()
export class SlotService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly availability: AvailabilityRepository,
    private readonly directory: UserDirectory,
    @Inject(APPOINTMENT_CONFIG) private readonly config: AppointmentConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async listSlots(args: AvailableSlotsArgs): Promise<Interval[]> {
    const manager = this.dataSource.manager;
    if (!(await this.directory.isAgent(manager, args.agentId))) {
      throw new BadUserInputError('agentId', `agentId: ${args.agentId} is not a known agent`);
    }
    const schedule = await this.scheduleOf(manager, args.agentId, {
      start: args.from,
      end: new Date(args.to.getTime() + args.durationMinutes * MINUTE_MS),
    });
    if (!schedule) return [];
    return availableSlots(schedule, { ...args, now: this.clock.now() });
  }

  /**
   * Throws unless a slot of `durationMinutes` at `start` can be booked with the agent now:
   * BAD_USER_INPUT on `field` saying why, or CONFLICT when another appointment holds it.
   * `ignoreAppointmentId` is an appointment being moved: its own slot does not count.
   */
  async assertBookable(
    manager: EntityManager,
    request: {
      agentId: string;
      start: Date;
      durationMinutes: number;
      ignoreAppointmentId?: string;
    },
    field: string,
  ): Promise<{ bufferMinutes: number }> {
    const { agentId, start, durationMinutes } = request;
    const schedule = await this.scheduleOf(
      manager,
      agentId,
      { start, end: new Date(start.getTime() + durationMinutes * MINUTE_MS) },
      request.ignoreAppointmentId,
    );
    const rejection = schedule
      ? slotRejection(schedule, start, durationMinutes, this.clock.now())
      : 'OUTSIDE_WORKING_HOURS';
    if (rejection === 'TAKEN') throw slotTakenError(start);
    if (!schedule || rejection) {
      const why = rejection
        ? describeRejection(rejection, this.config.APPOINTMENT_SLOT_STEP_MINUTES)
        : '';
      throw new BadUserInputError(field, `${field}: ${start.toISOString()} ${why}`);
    }
    return { bufferMinutes: schedule.bufferMinutes };
  }

  /** The agent's schedule with the time off and busy ranges that can touch slots in `span`. */
  private async scheduleOf(
    manager: EntityManager,
    agentId: string,
    span: Interval,
    ignoreAppointmentId?: string,
  ): Promise<AgentSchedule | undefined> {
    const settings = await this.availability.find(manager, agentId);
    if (!settings) return undefined;
    // A slot's blocked range reaches a buffer past its end, and a slot may start at `span.end`.
    const reach = {
      start: span.start,
      end: new Date(
        span.end.getTime() + (MAX_DURATION_MINUTES + settings.bufferMinutes) * MINUTE_MS,
      ),
    };
    // One after the other: inside a transaction both run on its single connection.
    const timeOff = await this.availability.timeOffWithin(manager, agentId, reach);
    const busy = await this.busyWithin(
      manager,
      agentId,
      reach,
      settings.bufferMinutes,
      ignoreAppointmentId,
    );
    return {
      timeZone: settings.timeZone,
      weeklyHours: settings.weeklyHours,
      bufferMinutes: settings.bufferMinutes,
      minimumNoticeMinutes: settings.minimumNoticeMinutes,
      bookingWindowDays: settings.bookingWindowDays,
      stepMinutes: this.config.APPOINTMENT_SLOT_STEP_MINUTES,
      timeOff,
      busy,
    };
  }

  /**
   * What the agent's confirmed appointments keep busy within `span`: each from its start until
   * a buffer after its end. The stored range has the buffer in force when it was booked, which
   * the exclusion constraint compares; if the agent has since raised their buffer, the current
   * one applies after it too, so the buffer is kept on both sides of every appointment.
   */
  private busyWithin(
    manager: EntityManager,
    agentId: string,
    span: Interval,
    bufferMinutes: number,
    ignoreAppointmentId?: string,
  ): Promise<Interval[]> {
    return queryRows<Interval>(
      manager,
      `SELECT lower(blocked) AS "start",
              greatest(upper(blocked), ends_at + make_interval(mins => $4)) AS "end"
       FROM ${TABLES.appointments}
       WHERE agent_id = $1 AND status = 'CONFIRMED'
         AND blocked && tstzrange($2::timestamptz - make_interval(mins => $4), $3)
         AND ($5::uuid IS NULL OR id <> $5::uuid)`,
      [agentId, span.start, span.end, bufferMinutes, ignoreAppointmentId ?? null],
    );
  }
}
