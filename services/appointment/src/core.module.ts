import { DynamicModule, Global, Module } from '@nestjs/common';
import { CLOCK, Clock } from '@servicedesk/platform';
import { APPOINTMENT_CONFIG, AppointmentConfig } from './config';

/** The parsed configuration and the clock, injectable in every module of the service. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppointmentConfig, clock: Clock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APPOINTMENT_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [APPOINTMENT_CONFIG, CLOCK],
    };
  }
}
