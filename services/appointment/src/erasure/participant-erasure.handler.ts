import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, isEvent } from '@servicedesk/contracts';
import { CLOCK, Clock } from '@servicedesk/platform';
import { EventHandler, Tx } from '@servicedesk/messaging';
import { AvailabilityRepository } from '../availability/availability.repository';
import { AppointmentRepository } from '../appointments/appointment.repository';
import { participantsOf } from '../appointments/appointment.model';
import { UserDirectory } from '../directory/user-directory.service';
import { Reminders } from '../reminders/reminders.service';

/** Said in place of the erased person's own words; names nobody. */
export const ERASURE_CANCELLATION_REASON = "participant's account was erased";

/**
 * `user.erased`: the person is gone for good. Their upcoming appointments are cancelled
 * (the other participant is told through `appointment.cancelled`), the free text of all
 * their appointments is cleared, their calendar is deleted, and a tombstone keeps late
 * events from bringing them back. All of it in the inbox transaction, so a redelivery finds
 * the work done and changes nothing.
 */
@Injectable()
export class ParticipantErasureHandler implements EventHandler {
  constructor(
    private readonly users: UserDirectory,
    private readonly appointments: AppointmentRepository,
    private readonly availability: AvailabilityRepository,
    private readonly reminders: Reminders,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    if (!isEvent(event, 'user.erased')) return;
    const { userId } = event.payload;
    const now = this.clock.now();
    await this.users.recordErasure(tx.manager, userId, new Date(event.occurredAt));
    const theirs = await this.appointments.lockAllOf(tx.manager, userId);
    await this.appointments.clearTextsOf(tx.manager, userId, ERASURE_CANCELLATION_REASON, now);
    const upcoming = theirs.filter((a) => a.status === 'CONFIRMED' && a.startsAt > now);
    for (const appointment of upcoming) {
      await this.appointments.changeStatus(
        tx.manager,
        appointment.id,
        'CANCELLED',
        now,
        ERASURE_CANCELLATION_REASON,
      );
    }
    await Promise.all(
      upcoming.map((appointment) =>
        tx.emit({
          type: 'appointment.cancelled',
          aggregateId: appointment.id,
          actor: null,
          payload: {
            ...participantsOf(appointment),
            startsAt: appointment.startsAt.toISOString(),
            reason: ERASURE_CANCELLATION_REASON,
          },
        }),
      ),
    );
    // Also those of appointments that started but were never concluded: nobody to remind.
    await this.reminders.dropUnsent(
      tx.manager,
      theirs.map((a) => a.id),
    );
    // Events already published may carry their words (reasons); unpublished ones still go out.
    for (const appointment of theirs) {
      await tx.forgetPublishedEvents('appointment', appointment.id);
    }
    await this.availability.deleteCalendarOf(tx.manager, userId);
    await this.appointments.deleteBookingRequestsOf(tx.manager, userId);
  }
}
