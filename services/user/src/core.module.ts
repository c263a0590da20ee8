import { DynamicModule, Global, Module } from '@nestjs/common';
import { CLOCK, Clock } from '@servicedesk/platform';
import { USER_CONFIG, UserConfig } from './config';

/** The parsed configuration and the clock, injectable in every module of the service. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: UserConfig, clock: Clock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: USER_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [USER_CONFIG, CLOCK],
    };
  }
}
