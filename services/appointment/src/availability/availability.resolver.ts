import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { requireIdentity, requireRole, validateInput } from '@servicedesk/platform';
import { UserReference, userReference } from '../references';
import type { AvailabilityView, TimeOff } from './availability.model';
import {
  addTimeOffArgs,
  availabilityArgs,
  setAvailabilityArgs,
  timeOffIdArgs,
} from './availability.inputs';
import { AvailabilityService } from './availability.service';

@Resolver('AgentAvailability')
export class AvailabilityResolver {
  constructor(private readonly service: AvailabilityService) {}

  @Query('availability')
  async availability(@Args() args: unknown): Promise<AvailabilityView | null> {
    const viewer = requireIdentity();
    const { agentId } = validateInput(availabilityArgs, args);
    return this.service.availabilityOf(viewer, agentId);
  }

  @Mutation('setAvailability')
  async setAvailability(@Args() args: unknown): Promise<AvailabilityView> {
    const actor = requireRole('AGENT', 'ADMIN');
    return this.service.setAvailability(actor, validateInput(setAvailabilityArgs, args));
  }

  @Mutation('addTimeOff')
  async addTimeOff(@Args() args: unknown): Promise<TimeOff> {
    const actor = requireRole('AGENT', 'ADMIN');
    return this.service.addTimeOff(actor, validateInput(addTimeOffArgs, args));
  }

  @Mutation('removeTimeOff')
  async removeTimeOff(@Args() args: unknown): Promise<TimeOff> {
    const actor = requireRole('AGENT', 'ADMIN');
    return this.service.removeTimeOff(actor, validateInput(timeOffIdArgs, args).id);
  }

  @ResolveField('agent')
  agent(@Parent() availability: AvailabilityView): UserReference {
    return userReference(availability.agentId);
  }
}

@Resolver('TimeOff')
export class TimeOffResolver {
  @ResolveField('agent')
  agent(@Parent() timeOff: TimeOff): UserReference {
    return userReference(timeOff.agentId);
  }
}
