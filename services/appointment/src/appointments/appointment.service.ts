import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import {
  BadUserInputError,
  CLOCK,
  Clock,
  ConflictError,
  ForbiddenError,
  IdempotencyKeyConflictError,
  Identity,
  NotFoundError,
  EXCLUSION_VIOLATION,
  sqlStateOf,
} from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { APPOINTMENT_CONFIG, AppointmentConfig } from '../config';
import { TicketDirectory } from '../directory/ticket-directory.service';
import { UserDirectory } from '../directory/user-directory.service';
import { Reminders } from '../reminders/reminders.service';
import type { Interval } from '../slots/slot-calculator';
import { SlotService, slotTakenError } from '../slots/slot.service';
import { canSeeAppointment, customerMayStillChange } from './appointment-access';
import { Appointment, durationMinutesOf, participantsOf } from './appointment.model';
import type {
  BookAppointmentArgs,
  BookAppointmentInput,
  CancelAppointmentArgs,
  RescheduleAppointmentArgs,
} from './appointment.inputs';
import { AppointmentRepository } from './appointment.repository';
import { BOOKING_KEYS, BookingRequestFields, bookingRequestHash } from './booking-request';

const MINUTE_MS = 60_000;

/** The range an appointment keeps its agent busy: from its start to a buffer after its end. */
function blockedRange(startsAt: Date, endsAt: Date, bufferMinutes: number): Interval {
  return { start: startsAt, end: new Date(endsAt.getTime() + bufferMinutes * MINUTE_MS) };
}

/**
 * The appointment commands. Each runs in one transaction that changes the appointment, its
 * reminders and emits its event, so a change and its event exist together or not at all.
 * Arguments arrive validated; authorization by role is the resolver's, rules that need the
 * appointment are here. The database has the last word on double bookings.
 */
@Injectable()
export class AppointmentService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly appointments: AppointmentRepository,
    private readonly slots: SlotService,
    private readonly reminders: Reminders,
    private readonly users: UserDirectory,
    private readonly tickets: TicketDirectory,
    @Inject(APPOINTMENT_CONFIG) private readonly config: AppointmentConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async book(
    actor: Identity,
    { input, idempotencyKey }: BookAppointmentArgs,
  ): Promise<Appointment> {
    const request = this.bookingRequestOf(actor, input);
    return this.refusingDoubleBooking(request.startsAt, () =>
      this.unitOfWork.run(async (tx) => {
        const id = randomUUID();
        if (idempotencyKey !== undefined) {
          const earlier = await this.claimKey(tx.manager, actor, idempotencyKey, request, id);
          if (earlier) return earlier;
        }
        await this.assertParticipants(tx.manager, actor, request);
        const { bufferMinutes } = await this.slots.assertBookable(
          tx.manager,
          {
            agentId: request.agentId,
            start: request.startsAt,
            durationMinutes: request.durationMinutes,
          },
          'input.startsAt',
        );
        const now = this.clock.now();
        const appointment: Appointment = {
          id,
          agentId: request.agentId,
          customerId: request.customerId,
          ticketId: request.ticketId,
          startsAt: request.startsAt,
          endsAt: new Date(request.startsAt.getTime() + request.durationMinutes * MINUTE_MS),
          status: 'CONFIRMED',
          notes: request.notes,
          cancellationReason: null,
          rescheduleReason: null,
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        await this.appointments.insert(
          tx.manager,
          appointment,
          blockedRange(appointment.startsAt, appointment.endsAt, bufferMinutes),
        );
        await this.reminders.schedule(tx.manager, appointment, this.reminderOffsets, now);
        await tx.emit({
          type: 'appointment.booked',
          aggregateId: appointment.id,
          payload: {
            ...participantsOf(appointment),
            ticketId: appointment.ticketId,
            startsAt: appointment.startsAt.toISOString(),
            endsAt: appointment.endsAt.toISOString(),
          },
        });
        return appointment;
      }),
    );
  }

  async reschedule(
    actor: Identity,
    { id, startsAt, reason, expectedVersion }: RescheduleAppointmentArgs,
  ): Promise<Appointment> {
    return this.refusingDoubleBooking(startsAt, () =>
      this.unitOfWork.run(async (tx) => {
        const appointment = await this.lockChangeable(tx.manager, actor, id, expectedVersion);
        const durationMinutes = durationMinutesOf(appointment);
        const { bufferMinutes } = await this.slots.assertBookable(
          tx.manager,
          {
            agentId: appointment.agentId,
            start: startsAt,
            durationMinutes,
            ignoreAppointmentId: id,
          },
          'startsAt',
        );
        const now = this.clock.now();
        const endsAt = new Date(startsAt.getTime() + durationMinutes * MINUTE_MS);
        const moved = await this.appointments.reschedule(tx.manager, id, {
          startsAt,
          endsAt,
          blocked: blockedRange(startsAt, endsAt, bufferMinutes),
          reason,
          now,
        });
        await this.reminders.dropUnsent(tx.manager, [id]);
        await this.reminders.schedule(tx.manager, moved, this.reminderOffsets, now);
        await tx.emit({
          type: 'appointment.rescheduled',
          aggregateId: id,
          payload: {
            ...participantsOf(moved),
            previousStartsAt: appointment.startsAt.toISOString(),
            startsAt: moved.startsAt.toISOString(),
            endsAt: moved.endsAt.toISOString(),
            reason,
          },
        });
        return moved;
      }),
    );
  }

  async cancel(
    actor: Identity,
    { id, reason, expectedVersion }: CancelAppointmentArgs,
  ): Promise<Appointment> {
    return this.unitOfWork.run(async (tx) => {
      const appointment = await this.lockChangeable(tx.manager, actor, id, expectedVersion);
      const cancelled = await this.appointments.changeStatus(
        tx.manager,
        id,
        'CANCELLED',
        this.clock.now(),
        reason,
      );
      await this.reminders.dropUnsent(tx.manager, [id]);
      await tx.emit({
        type: 'appointment.cancelled',
        aggregateId: id,
        payload: {
          ...participantsOf(cancelled),
          startsAt: appointment.startsAt.toISOString(),
          reason,
        },
      });
      return cancelled;
    });
  }

  /** Records how a started appointment went: held (COMPLETED) or missed (NO_SHOW). */
  async conclude(
    actor: Identity,
    id: string,
    outcome: 'COMPLETED' | 'NO_SHOW',
  ): Promise<Appointment> {
    return this.unitOfWork.run(async (tx) => {
      const appointment = await this.lockVisible(tx.manager, actor, id);
      this.assertConfirmed(appointment);
      const now = this.clock.now();
      if (now < appointment.startsAt) {
        throw new BadUserInputError(
          'id',
          `id: appointment ${id} has not started yet (it starts at ${appointment.startsAt.toISOString()})`,
        );
      }
      const concluded = await this.appointments.changeStatus(tx.manager, id, outcome, now);
      await this.reminders.dropUnsent(tx.manager, [id]);
      await tx.emit({
        type: outcome === 'COMPLETED' ? 'appointment.completed' : 'appointment.no_show',
        aggregateId: id,
        payload: participantsOf(concluded),
      });
      return concluded;
    });
  }

  private get reminderOffsets(): readonly number[] {
    return this.config.APPOINTMENT_REMINDER_OFFSETS_MINUTES;
  }

  /** Who the booking is for: customers book for themselves, staff name the customer. */
  private bookingRequestOf(actor: Identity, input: BookAppointmentInput): BookingRequestFields {
    let customerId: string;
    if (actor.role === 'CUSTOMER') {
      if (input.customerId !== undefined && input.customerId !== actor.userId) {
        throw new ForbiddenError('Customers can only book appointments for themselves');
      }
      customerId = actor.userId;
    } else {
      if (input.customerId === undefined) {
        throw new BadUserInputError(
          'input.customerId',
          'input.customerId: is required when an agent or admin books',
        );
      }
      if (actor.role === 'AGENT' && input.agentId !== actor.userId) {
        throw new ForbiddenError('Agents can only book appointments into their own calendar');
      }
      customerId = input.customerId;
    }
    if (customerId === input.agentId) {
      throw new BadUserInputError(
        'input.customerId',
        'input.customerId: an agent cannot book an appointment with themself',
      );
    }
    return {
      agentId: input.agentId,
      customerId,
      startsAt: input.startsAt,
      durationMinutes: input.durationMinutes,
      ticketId: input.ticketId,
      notes: input.notes,
    };
  }

  /**
   * Reserves `key` for this booking, or returns what the key booked before. The same key
   * with a different request is a client error worth telling apart from a replay.
   */
  private async claimKey(
    manager: EntityManager,
    actor: Identity,
    key: string,
    request: BookingRequestFields,
    appointmentId: string,
  ): Promise<Appointment | undefined> {
    const earlier = await BOOKING_KEYS.claim(
      manager,
      { callerId: actor.userId, key, fingerprint: bookingRequestHash(request) },
      appointmentId,
      this.clock.now(),
    );
    if (earlier === undefined) return undefined;
    const booked = await this.appointments.find(manager, earlier);
    if (!booked) throw new IdempotencyKeyConflictError(key, 'booking');
    return booked;
  }

  /**
   * The agent must be a current agent and the customer a user whose account exists. A
   * customer booking for themself is signed in, so only their erasure is checked: the
   * directory may not have heard of a brand-new account yet. Both entries stay held until
   * the booking commits, so an erasure of either cannot slip past it.
   */
  private async assertParticipants(
    manager: EntityManager,
    actor: Identity,
    request: BookingRequestFields,
  ): Promise<void> {
    const agent = await this.users.heldEntry(manager, request.agentId);
    if (agent?.role !== 'AGENT' || agent.erased) {
      throw new BadUserInputError(
        'input.agentId',
        `input.agentId: ${request.agentId} is not a known agent`,
      );
    }
    const customer = await this.users.heldEntry(manager, request.customerId);
    const customerExists = customer ? !customer.erased : request.customerId === actor.userId;
    if (!customerExists) {
      throw new BadUserInputError(
        'input.customerId',
        `input.customerId: ${request.customerId} is not a known user`,
      );
    }
    if (request.ticketId !== null) {
      const requester = await this.tickets.requesterOf(manager, request.ticketId);
      if (requester !== request.customerId) {
        throw new BadUserInputError(
          'input.ticketId',
          `input.ticketId: ${request.ticketId} is not a known ticket of the customer`,
        );
      }
    }
  }

  /** The appointment, locked, if the caller may see it; NOT_FOUND otherwise. */
  private async lockVisible(
    manager: EntityManager,
    actor: Identity,
    id: string,
  ): Promise<Appointment> {
    const appointment = await this.appointments.lock(manager, id);
    if (!appointment || !canSeeAppointment(actor, appointment)) {
      throw new NotFoundError('Appointment', id);
    }
    return appointment;
  }

  /**
   * The appointment, locked, if the caller may still move or cancel it: checks visibility
   * (NOT_FOUND), the version the caller saw (CONFLICT), the status (BAD_USER_INPUT), and the
   * customers' change notice (FORBIDDEN), in that order.
   */
  private async lockChangeable(
    manager: EntityManager,
    actor: Identity,
    id: string,
    expectedVersion: number | undefined,
  ): Promise<Appointment> {
    const appointment = await this.lockVisible(manager, actor, id);
    if (expectedVersion !== undefined && appointment.version !== expectedVersion) {
      throw new ConflictError(
        `Appointment ${id} is no longer at version ${expectedVersion}: it changed meanwhile; reload it and try again`,
      );
    }
    this.assertConfirmed(appointment);
    const notice = this.config.APPOINTMENT_CUSTOMER_CHANGE_NOTICE_MINUTES;
    if (!customerMayStillChange(actor, appointment, this.clock.now(), notice)) {
      throw new ForbiddenError(
        `Customers cannot reschedule or cancel less than ${notice} minutes before the start; please contact the agent`,
      );
    }
    return appointment;
  }

  private assertConfirmed(appointment: Appointment): void {
    if (appointment.status !== 'CONFIRMED') {
      throw new BadUserInputError(
        'id',
        `id: appointment ${appointment.id} is ${appointment.status}; only confirmed appointments can change`,
      );
    }
  }

  /** The exclusion constraint refused the slot: someone else took it since it was checked. */
  private async refusingDoubleBooking<T>(startsAt: Date, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (sqlStateOf(error) === EXCLUSION_VIOLATION) throw slotTakenError(startsAt);
      throw error;
    }
  }
}
