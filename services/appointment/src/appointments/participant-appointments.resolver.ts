import { Args, Parent, ResolveField, ResolveReference, Resolver } from '@nestjs/graphql';
import { isUuid, requireIdentity, validateInput } from '@servicedesk/platform';
import { appointmentScopeOf } from './appointment-access';
import {
  AppointmentConnection,
  toAppointmentConnection,
  toPageQuery,
} from './appointment-connection';
import type { Appointment } from './appointment.model';
import { userAppointmentsArgs } from './appointment.inputs';
import { AppointmentLoaders } from './appointment.loaders';

/**
 * The appointment subgraph's field on `User`. The same visibility applies as everywhere: a
 * customer asking about someone else sees only the appointments they share with them.
 */
@Resolver('User')
export class UserAppointmentsResolver {
  constructor(private readonly loaders: AppointmentLoaders) {}

  @ResolveField('appointments')
  async appointments(
    @Parent() user: { id: string },
    @Args() args: unknown,
  ): Promise<AppointmentConnection> {
    const identity = requireIdentity();
    const query = toPageQuery(
      validateInput(userAppointmentsArgs, args),
      appointmentScopeOf(identity),
    );
    if (!isUuid(user.id)) return toAppointmentConnection([], query.limit);
    const rows = await this.loaders
      .forCurrentRequest()
      .participantPages.load({ userId: user.id, query });
    return toAppointmentConnection(rows, query.limit);
  }
}

/** The appointment subgraph's field on the ticket service's `Ticket`. */
@Resolver('Ticket')
export class TicketAppointmentsResolver {
  constructor(private readonly loaders: AppointmentLoaders) {}

  @ResolveReference()
  resolveReference(reference: { id: string }): { id: string } {
    return { id: reference.id };
  }

  @ResolveField('appointments')
  async appointments(@Parent() ticket: { id: string }): Promise<Appointment[]> {
    requireIdentity();
    if (!isUuid(ticket.id)) return [];
    return this.loaders.forCurrentRequest().ticketAppointments.load(ticket.id);
  }
}
