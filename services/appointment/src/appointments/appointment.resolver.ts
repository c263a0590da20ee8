import {
  Args,
  Mutation,
  Parent,
  Query,
  ResolveField,
  ResolveReference,
  Resolver,
} from '@nestjs/graphql';
import {
  NotFoundError,
  isUuid,
  requireIdentity,
  requireRole,
  validateInput,
} from '@servicedesk/platform';
import { TicketReference, UserReference, ticketReference, userReference } from '../references';
import { appointmentScopeOf } from './appointment-access';
import {
  AppointmentConnection,
  toAppointmentConnection,
  toPageQuery,
} from './appointment-connection';
import type { Appointment } from './appointment.model';
import {
  appointmentIdArgs,
  appointmentListArgs,
  bookAppointmentArgs,
  cancelAppointmentArgs,
  rescheduleAppointmentArgs,
} from './appointment.inputs';
import { AppointmentLoaders } from './appointment.loaders';
import { AppointmentRepository } from './appointment.repository';
import { AppointmentService } from './appointment.service';

@Resolver('Appointment')
export class AppointmentResolver {
  constructor(
    private readonly service: AppointmentService,
    private readonly repository: AppointmentRepository,
    private readonly loaders: AppointmentLoaders,
  ) {}

  @Query('appointment')
  async appointment(@Args() args: unknown): Promise<Appointment> {
    requireIdentity();
    const { id } = validateInput(appointmentIdArgs, args);
    const appointment = await this.loaders.forCurrentRequest().appointment.load(id);
    if (!appointment) throw new NotFoundError('Appointment', id);
    return appointment;
  }

  @Query('appointments')
  async appointments(@Args() args: unknown): Promise<AppointmentConnection> {
    const identity = requireIdentity();
    const query = toPageQuery(
      validateInput(appointmentListArgs, args),
      appointmentScopeOf(identity),
    );
    return toAppointmentConnection(await this.repository.findPage(query), query.limit);
  }

  /** Federation entry point: null (not an error) for an appointment the caller may not see. */
  @ResolveReference()
  async resolveReference(reference: { id: string }): Promise<Appointment | null> {
    requireIdentity();
    if (!isUuid(reference.id)) return null;
    return this.loaders.forCurrentRequest().appointment.load(reference.id);
  }

  @Mutation('bookAppointment')
  async bookAppointment(@Args() args: unknown): Promise<Appointment> {
    const actor = requireIdentity();
    return this.service.book(actor, validateInput(bookAppointmentArgs, args));
  }

  @Mutation('rescheduleAppointment')
  async rescheduleAppointment(@Args() args: unknown): Promise<Appointment> {
    const actor = requireIdentity();
    return this.service.reschedule(actor, validateInput(rescheduleAppointmentArgs, args));
  }

  @Mutation('cancelAppointment')
  async cancelAppointment(@Args() args: unknown): Promise<Appointment> {
    const actor = requireIdentity();
    return this.service.cancel(actor, validateInput(cancelAppointmentArgs, args));
  }

  @Mutation('completeAppointment')
  async completeAppointment(@Args() args: unknown): Promise<Appointment> {
    const actor = requireRole('AGENT', 'ADMIN');
    return this.service.conclude(actor, validateInput(appointmentIdArgs, args).id, 'COMPLETED');
  }

  @Mutation('markNoShow')
  async markNoShow(@Args() args: unknown): Promise<Appointment> {
    const actor = requireRole('AGENT', 'ADMIN');
    return this.service.conclude(actor, validateInput(appointmentIdArgs, args).id, 'NO_SHOW');
  }

  @ResolveField('agent')
  agent(@Parent() appointment: Appointment): UserReference {
    return userReference(appointment.agentId);
  }

  @ResolveField('customer')
  customer(@Parent() appointment: Appointment): UserReference {
    return userReference(appointment.customerId);
  }

  @ResolveField('ticket')
  ticket(@Parent() appointment: Appointment): TicketReference | null {
    return appointment.ticketId ? ticketReference(appointment.ticketId) : null;
  }
}
