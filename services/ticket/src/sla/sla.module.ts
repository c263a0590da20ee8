import { DynamicModule, Module } from '@nestjs/common';
import type { TicketConfig } from '../config';
import { SLA_DETECTOR_OPTIONS, SlaBreachDetector, SlaDetectorOptions } from './sla-breach.detector';
import { SlaBreaches } from './sla-breaches.service';

/** Missed first-response and resolution targets: flagged once, emitted once. */
@Module({})
export class SlaModule {
  static forRoot(config: TicketConfig): DynamicModule {
    const options: SlaDetectorOptions = {
      intervalMs: config.SLA_CHECK_INTERVAL_MS,
      batchSize: config.SLA_CHECK_BATCH_SIZE,
    };
    return {
      module: SlaModule,
      providers: [
        SlaBreaches,
        SlaBreachDetector,
        { provide: SLA_DETECTOR_OPTIONS, useValue: options },
      ],
      exports: [SlaBreaches, SlaBreachDetector],
    };
  }
}
