import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  BadUserInputError,
  CLOCK,
  Clock,
  ForbiddenError,
  Identity,
  NotFoundError,
} from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { UserDirectory } from '../directory/user-directory.service';
import type { AvailabilityView, TimeOff } from './availability.model';
import type { AddTimeOffArgs, SetAvailabilityArgs } from './availability.inputs';
import { AvailabilityRepository } from './availability.repository';
import { calendarOwner, canSeeCalendar } from './calendar-access';

/** Agents' calendars: weekly hours, buffer, notice, booking window and time off. */
@Injectable()
export class AvailabilityService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly dataSource: DataSource,
    private readonly repository: AvailabilityRepository,
    private readonly directory: UserDirectory,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async setAvailability(
    actor: Identity,
    { input }: SetAvailabilityArgs,
  ): Promise<AvailabilityView> {
    const agentId = calendarOwner(actor, input.agentId);
    return this.unitOfWork.run(async (tx) => {
      await this.assertAgent(tx.manager, agentId);
      await this.repository.save(tx.manager, {
        agentId,
        timeZone: input.timeZone,
        weeklyHours: input.weeklyHours,
        bufferMinutes: input.bufferMinutes,
        minimumNoticeMinutes: input.minimumNoticeMinutes,
        bookingWindowDays: input.bookingWindowDays,
        updatedAt: this.clock.now(),
      });
      return (await this.viewOf(tx.manager, agentId)) as AvailabilityView;
    });
  }

  async addTimeOff(actor: Identity, { input }: AddTimeOffArgs): Promise<TimeOff> {
    const agentId = calendarOwner(actor, input.agentId);
    return this.unitOfWork.run(async (tx) => {
      await this.assertAgent(tx.manager, agentId);
      const timeOff: TimeOff = {
        id: randomUUID(),
        agentId,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        reason: input.reason,
      };
      await this.repository.insertTimeOff(tx.manager, timeOff, this.clock.now());
      return timeOff;
    });
  }

  /** NOT_FOUND for time off the caller may not manage, as for one that does not exist. */
  async removeTimeOff(actor: Identity, id: string): Promise<TimeOff> {
    return this.unitOfWork.run(async (tx) => {
      const timeOff = await this.repository.findTimeOff(tx.manager, id);
      if (!timeOff || !canSeeCalendar(actor, timeOff.agentId))
        throw new NotFoundError('TimeOff', id);
      return (await this.repository.deleteTimeOff(tx.manager, id)) ?? timeOff;
    });
  }

  async availabilityOf(viewer: Identity, agentId: string): Promise<AvailabilityView | null> {
    if (!canSeeCalendar(viewer, agentId)) {
      throw new ForbiddenError(
        "Only the agent and admins may see an agent's calendar; use availableSlots to find a time",
      );
    }
    return (await this.viewOf(this.dataSource.manager, agentId)) ?? null;
  }

  private async viewOf(
    manager: EntityManager,
    agentId: string,
  ): Promise<AvailabilityView | undefined> {
    const availability = await this.repository.find(manager, agentId);
    if (!availability) return undefined;
    const timeOff = await this.repository.upcomingTimeOff(manager, agentId, this.clock.now());
    return { ...availability, timeOff };
  }

  /** Held until the change commits, so an erasure of the agent waits and then deletes it. */
  private async assertAgent(manager: EntityManager, agentId: string): Promise<void> {
    const agent = await this.directory.heldEntry(manager, agentId);
    if (agent?.role !== 'AGENT' || agent.erased) {
      throw new BadUserInputError(
        'input.agentId',
        `input.agentId: ${agentId} is not a known agent`,
      );
    }
  }
}
