import { DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloFederationDriverConfig } from '@nestjs/apollo';
import {
  DatabaseModule,
  Logger,
  PlatformModule,
  loadSchemaFile,
  subgraphGraphQLOptions,
} from '@servicedesk/platform';
import {
  MessagingModule,
  createOperationsResolver,
  operationsTypeDefs,
} from '@servicedesk/messaging';
import type { TicketConfig } from './config';
import { createTicketDataSource } from './data-source';
import { TICKET_SCHEMA } from './database/tables';
import { TicketsModule } from './tickets/tickets.module';
import { ticketSubscriptions } from './ticket.subscriptions';

const SERVICE = 'ticket';

@Module({})
export class AppModule {
  static forRoot(config: TicketConfig, logger?: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ service: SERVICE, config, logger }),
        DatabaseModule.forRoot((deps) => createTicketDataSource(config, deps)),
        MessagingModule.forService({
          service: SERVICE,
          schema: TICKET_SCHEMA,
          rabbitmqUrl: config.RABBITMQ_URL,
          subscriptions: ticketSubscriptions,
        }),
        GraphQLModule.forRoot<ApolloFederationDriverConfig>(
          subgraphGraphQLOptions({
            typeDefs: [loadSchemaFile(__dirname), operationsTypeDefs(SERVICE)],
            production: config.NODE_ENV === 'production',
            logger,
          }),
        ),
        TicketsModule.forRoot(config),
      ],
      providers: [createOperationsResolver(SERVICE)],
    };
  }
}
