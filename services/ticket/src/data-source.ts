import { DataSource } from 'typeorm';
import { DataSourceOptions, createDataSource } from '@servicedesk/platform';
import { messagingMigration } from '@servicedesk/messaging';
import { TICKET_SCHEMA } from './database/tables';
import { KnownUserEntity } from './directory/known-user.entity';
import { CreateTicketTables1763960000000 } from './migrations/1763960000000-CreateTicketTables';
import { RestrictSlaIndexesToOpenTickets1795500000000 } from './migrations/1795500000000-RestrictSlaIndexesToOpenTickets';
import { RecordPersonalDataErasure1795600000000 } from './migrations/1795600000000-RecordPersonalDataErasure';
import { CreateIdempotencyKeys1796300000000 } from './migrations/1796300000000-CreateIdempotencyKeys';
import { CommentEntity } from './tickets/comment.entity';
import { TicketEntity } from './tickets/ticket.entity';
import type { TicketConfig } from './config';

export function createTicketDataSource(
  config: Pick<
    TicketConfig,
    'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'
  >,
  options: Pick<DataSourceOptions, 'logger' | 'registry'> = {},
): DataSource {
  return createDataSource({
    url: config.DATABASE_URL,
    schema: TICKET_SCHEMA,
    entities: [TicketEntity, CommentEntity, KnownUserEntity],
    migrations: [
      messagingMigration(TICKET_SCHEMA),
      CreateTicketTables1763960000000,
      RestrictSlaIndexesToOpenTickets1795500000000,
      RecordPersonalDataErasure1795600000000,
      CreateIdempotencyKeys1796300000000,
    ],
    service: 'ticket',
    pool: config,
    ...options,
  });
}
