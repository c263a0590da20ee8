import { Module } from '@nestjs/common';
import { DateTimeScalar } from '@servicedesk/platform';
import { DirectoryModule } from '../directory/directory.module';
import { RemindersModule } from '../reminders/reminders.module';
import { SlotsModule } from '../slots/slots.module';
import { AppointmentLoaders } from './appointment.loaders';
import { AppointmentRepository } from './appointment.repository';
import { AppointmentResolver } from './appointment.resolver';
import { AppointmentService } from './appointment.service';
import {
  TicketAppointmentsResolver,
  UserAppointmentsResolver,
} from './participant-appointments.resolver';

/** Appointments: booking, changes, the API and the storage. */
@Module({
  imports: [DirectoryModule, SlotsModule, RemindersModule],
  providers: [
    AppointmentRepository,
    AppointmentService,
    AppointmentLoaders,
    AppointmentResolver,
    UserAppointmentsResolver,
    TicketAppointmentsResolver,
    DateTimeScalar,
  ],
  exports: [AppointmentRepository],
})
export class AppointmentsModule {}
