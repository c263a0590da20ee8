import { Module } from '@nestjs/common';
import { AppointmentsModule } from '../appointments/appointments.module';
import { AvailabilityModule } from '../availability/availability.module';
import { DirectoryModule } from '../directory/directory.module';
import { RemindersModule } from '../reminders/reminders.module';
import { ParticipantErasureHandler } from './participant-erasure.handler';

/** What happens to appointments and calendars when a person's account is erased. */
@Module({
  imports: [DirectoryModule, AppointmentsModule, AvailabilityModule, RemindersModule],
  providers: [ParticipantErasureHandler],
  exports: [ParticipantErasureHandler],
})
export class ErasureModule {}
