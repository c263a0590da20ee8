import { DynamicModule, Module } from '@nestjs/common';
import { Clock, Logger, TextLimits } from '@servicedesk/platform';
import { SubgraphModule } from '@servicedesk/messaging';
import { appointmentSubscriptions } from './appointment.subscriptions';
import { APPOINTMENT_TEXT_LIMITS } from './appointments/appointment.inputs';
import { AppointmentsModule } from './appointments/appointments.module';
import { AVAILABILITY_TEXT_LIMITS } from './availability/availability.inputs';
import { AvailabilityModule } from './availability/availability.module';
import type { AppointmentConfig } from './config';
import { CoreModule } from './core.module';
import { createAppointmentDataSource } from './data-source';
import { APPOINTMENT_SCHEMA } from './database/tables';
import { ErasureModule } from './erasure/erasure.module';
import { SlotsModule } from './slots/slots.module';

export const SERVICE_NAME = 'appointment';

export interface AppModuleOptions {
  logger: Logger;
  clock: Clock;
}

/** The longest text each argument and input field of the appointment API takes (README, Input limits). */
export const appointmentTextLimits: TextLimits = {
  ...APPOINTMENT_TEXT_LIMITS,
  ...AVAILABILITY_TEXT_LIMITS,
};

/** The appointment subgraph: agents' calendars, bookings and reminders. */
@Module({})
export class AppModule {
  static forRoot(config: AppointmentConfig, options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SubgraphModule.forRoot({
          service: SERVICE_NAME,
          schema: APPOINTMENT_SCHEMA,
          config,
          logger: options.logger,
          dataSource: (deps) => createAppointmentDataSource(config, deps),
          schemaDir: __dirname,
          subscriptions: appointmentSubscriptions,
          textLimits: appointmentTextLimits,
        }),
        CoreModule.forRoot(config, options.clock),
        AvailabilityModule,
        SlotsModule,
        AppointmentsModule,
        ErasureModule,
      ],
    };
  }
}
