import { Args, Query, Resolver } from '@nestjs/graphql';
import { requireIdentity, validateInput } from '@servicedesk/platform';
import type { Interval } from './slot-calculator';
import { availableSlotsArgs } from './slot.inputs';
import { SlotService } from './slot.service';

interface TimeSlot {
  startsAt: Date;
  endsAt: Date;
}

@Resolver('TimeSlot')
export class SlotResolver {
  constructor(private readonly slots: SlotService) {}

  @Query('availableSlots')
  async availableSlots(@Args() args: unknown): Promise<TimeSlot[]> {
    requireIdentity();
    const slots = await this.slots.listSlots(validateInput(availableSlotsArgs, args));
    return slots.map(({ start, end }: Interval) => ({ startsAt: start, endsAt: end }));
  }
}
