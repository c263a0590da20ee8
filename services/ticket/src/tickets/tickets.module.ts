import { DynamicModule, Module } from '@nestjs/common';
import { DateTimeScalar } from '@servicedesk/platform';
import type { TicketConfig } from '../config';
import { DirectoryModule } from '../directory/directory.module';
import { SlaModule } from '../sla/sla.module';
import { TicketLoaders } from './ticket.loaders';
import { TicketRepository } from './ticket.repository';
import { CommentResolver, TicketResolver } from './ticket.resolver';
import { TicketMetrics } from './ticket-metrics';
import { SLA_POLICY, TicketService } from './ticket.service';
import { UserTicketsResolver } from './user-tickets.resolver';

/** Tickets and their comments: the API, the rules and the storage. */
@Module({})
export class TicketsModule {
  static forRoot(config: TicketConfig): DynamicModule {
    return {
      module: TicketsModule,
      imports: [DirectoryModule, SlaModule.forRoot(config)],
      providers: [
        { provide: SLA_POLICY, useValue: config.SLA_POLICY },
        TicketRepository,
        TicketService,
        TicketMetrics,
        TicketLoaders,
        TicketResolver,
        CommentResolver,
        UserTicketsResolver,
        DateTimeScalar,
      ],
    };
  }
}
