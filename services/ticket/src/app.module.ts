import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from '@servicedesk/platform';
import { SubgraphModule } from '@servicedesk/messaging';
import type { TicketConfig } from './config';
import { createTicketDataSource } from './data-source';
import { TICKET_SCHEMA } from './database/tables';
import { TICKET_TEXT_LIMITS } from './tickets/ticket.inputs';
import { TicketsModule } from './tickets/tickets.module';
import { ticketSubscriptions } from './ticket.subscriptions';

/** The ticket subgraph: tickets, comments, assignment and SLAs. */
@Module({})
export class AppModule {
  static forRoot(config: TicketConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SubgraphModule.forRoot({
          service: 'ticket',
          schema: TICKET_SCHEMA,
          config,
          logger,
          dataSource: (deps) => createTicketDataSource(config, deps),
          schemaDir: __dirname,
          subscriptions: ticketSubscriptions,
          textLimits: TICKET_TEXT_LIMITS,
        }),
        TicketsModule.forRoot(config),
      ],
    };
  }
}
