import { SqlParameters, queryRows } from '@servicedesk/platform';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { TABLES } from '../database/tables';
import type { Interval } from '../slots/slot-calculator';
import type { AppointmentScope } from './appointment-access';
import type { AppointmentCursor } from './appointment-cursor';
import {
  AppointmentFilter,
  afterCursorCondition,
  appointmentConditions,
  appointmentOrder,
  whereClause,
} from './appointment-filter';
import { Appointment, AppointmentStatus, appointmentColumns } from './appointment.model';
import { BOOKING_KEYS } from './booking-request';

/** One page request: rows strictly after `after`, at most `limit` of them. */
export interface AppointmentPageQuery {
  filter: AppointmentFilter;
  scope: AppointmentScope;
  after?: AppointmentCursor;
  limit: number;
}

const COLUMNS = appointmentColumns('a');

/** Every statement on appointments. Writes take the transaction's manager. */
@Injectable()
export class AppointmentRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Fails with SQLSTATE 23P01 when the blocked range overlaps another confirmed one's. */
  async insert(manager: EntityManager, appointment: Appointment, blocked: Interval): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLES.appointments} (id, agent_id, customer_id, ticket_id, starts_at, ends_at,
         blocked, status, notes, cancellation_reason, reschedule_reason, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, tstzrange($7, $8), $9, $10, $11, $12, $13, $14, $15)`,
      [
        appointment.id,
        appointment.agentId,
        appointment.customerId,
        appointment.ticketId,
        appointment.startsAt,
        appointment.endsAt,
        blocked.start,
        blocked.end,
        appointment.status,
        appointment.notes,
        appointment.cancellationReason,
        appointment.rescheduleReason,
        appointment.version,
        appointment.createdAt,
        appointment.updatedAt,
      ],
    );
  }

  /** The appointment, locked until the transaction ends: commands on one run one at a time. */
  async lock(manager: EntityManager, id: string): Promise<Appointment | undefined> {
    const [appointment] = await queryRows<Appointment>(
      manager,
      `SELECT ${COLUMNS} FROM ${TABLES.appointments} a WHERE a.id = $1 FOR UPDATE`,
      [id],
    );
    return appointment;
  }

  async find(manager: EntityManager, id: string): Promise<Appointment | undefined> {
    const [appointment] = await queryRows<Appointment>(
      manager,
      `SELECT ${COLUMNS} FROM ${TABLES.appointments} a WHERE a.id = $1`,
      [id],
    );
    return appointment;
  }

  /** Moves the appointment; fails with SQLSTATE 23P01 like `insert`. */
  async reschedule(
    manager: EntityManager,
    id: string,
    change: { startsAt: Date; endsAt: Date; blocked: Interval; reason: string | null; now: Date },
  ): Promise<Appointment> {
    const [appointment] = await queryRows<Appointment>(
      manager,
      `UPDATE ${TABLES.appointments} a
       SET starts_at = $2, ends_at = $3, blocked = tstzrange($4, $5), reschedule_reason = $6,
           version = a.version + 1, updated_at = $7
       WHERE a.id = $1
       RETURNING ${COLUMNS}`,
      [
        id,
        change.startsAt,
        change.endsAt,
        change.blocked.start,
        change.blocked.end,
        change.reason,
        change.now,
      ],
    );
    return appointment;
  }

  async changeStatus(
    manager: EntityManager,
    id: string,
    status: Exclude<AppointmentStatus, 'CONFIRMED'>,
    now: Date,
    cancellationReason: string | null = null,
  ): Promise<Appointment> {
    const [appointment] = await queryRows<Appointment>(
      manager,
      `UPDATE ${TABLES.appointments} a
       SET status = $2, cancellation_reason = $3, version = a.version + 1, updated_at = $4
       WHERE a.id = $1
       RETURNING ${COLUMNS}`,
      [id, status, cancellationReason, now],
    );
    return appointment;
  }

  /** The appointments among `ids` that `scope` lets the caller see, in no particular order. */
  async findMany(ids: readonly string[], scope: AppointmentScope): Promise<Appointment[]> {
    const params = new SqlParameters();
    const conditions = [
      `a.id = ANY(${params.add(ids, 'uuid[]')})`,
      ...appointmentConditions({}, scope, params),
    ];
    return queryRows<Appointment>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM ${TABLES.appointments} a ${whereClause(conditions)}`,
      params.values,
    );
  }

  /** Appointments of several tickets within `scope`, earliest first per ticket. */
  async findByTickets(
    ticketIds: readonly string[],
    scope: AppointmentScope,
  ): Promise<Appointment[]> {
    const params = new SqlParameters();
    const conditions = [
      `a.ticket_id = ANY(${params.add(ticketIds, 'uuid[]')})`,
      ...appointmentConditions({}, scope, params),
    ];
    return queryRows<Appointment>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM ${TABLES.appointments} a ${whereClause(conditions)}
       ORDER BY a.ticket_id, ${appointmentOrder('a')}`,
      params.values,
    );
  }

  /** One page, earliest first, with one row more than asked when there is a next page. */
  async findPage(query: AppointmentPageQuery): Promise<Appointment[]> {
    const params = new SqlParameters();
    const conditions = appointmentConditions(query.filter, query.scope, params);
    if (query.after) conditions.push(afterCursorCondition(query.after, params));
    return queryRows<Appointment>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM ${TABLES.appointments} a ${whereClause(conditions)}
       ORDER BY ${appointmentOrder('a')} LIMIT ${params.add(query.limit + 1, 'int')}`,
      params.values,
    );
  }

  /**
   * The same page for several participants (as agent or customer) in one statement: a
   * LATERAL subquery per participant stops after `limit + 1` rows.
   */
  async findPagesByParticipant(
    userIds: readonly string[],
    query: AppointmentPageQuery,
  ): Promise<Map<string, Appointment[]>> {
    const params = new SqlParameters();
    const users = params.add(userIds, 'uuid[]');
    const conditions = [
      '(a.agent_id = u.user_id OR a.customer_id = u.user_id)',
      ...appointmentConditions(query.filter, query.scope, params),
    ];
    if (query.after) conditions.push(afterCursorCondition(query.after, params));
    const rows = await queryRows<Appointment & { userId: string }>(
      this.dataSource.manager,
      `SELECT u.user_id AS "userId", page.*
       FROM unnest(${users}) AS u(user_id)
       CROSS JOIN LATERAL (
         SELECT ${COLUMNS} FROM ${TABLES.appointments} a ${whereClause(conditions)}
         ORDER BY ${appointmentOrder('a')} LIMIT ${params.add(query.limit + 1, 'int')}
       ) page
       ORDER BY u.user_id, page."startsAt", page.id`,
      params.values,
    );
    const pages = new Map<string, Appointment[]>(userIds.map((id) => [id, []]));
    for (const { userId, ...appointment } of rows) pages.get(userId)?.push(appointment);
    return pages;
  }

  /** Every appointment `userId` takes part in, locked (erasure). */
  async lockAllOf(manager: EntityManager, userId: string): Promise<Appointment[]> {
    return queryRows<Appointment>(
      manager,
      `SELECT ${COLUMNS} FROM ${TABLES.appointments} a
       WHERE a.agent_id = $1 OR a.customer_id = $1
       ORDER BY a.id FOR UPDATE`,
      [userId],
    );
  }

  /**
   * Clears the free text of every appointment of `userId`: people wrote it, and it may
   * describe them. `systemReason`, a cancellation reason the service itself wrote, stays.
   */
  async clearTextsOf(
    manager: EntityManager,
    userId: string,
    systemReason: string,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE ${TABLES.appointments}
       SET notes = NULL, reschedule_reason = NULL, updated_at = $3,
           cancellation_reason = CASE WHEN cancellation_reason = $2 THEN $2 END
       WHERE (agent_id = $1 OR customer_id = $1)
         AND (notes IS NOT NULL OR reschedule_reason IS NOT NULL
              OR cancellation_reason IS DISTINCT FROM $2 AND cancellation_reason IS NOT NULL)`,
      [userId, systemReason, now],
    );
  }

  /** Forgets the idempotency keys a person used (erasure). */
  async deleteBookingRequestsOf(manager: EntityManager, callerId: string): Promise<void> {
    await BOOKING_KEYS.forgetCaller(manager, callerId);
  }
}
