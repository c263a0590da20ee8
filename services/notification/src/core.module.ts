import { DynamicModule, Global, Module } from '@nestjs/common';
import { CLOCK, Clock } from '@servicedesk/platform';
import { NOTIFICATION_CONFIG, NotificationConfig } from './config';

/** The parsed configuration and the clock, injectable in every module of the service. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: NotificationConfig, clock: Clock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: NOTIFICATION_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [NOTIFICATION_CONFIG, CLOCK],
    };
  }
}
