import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from '@servicedesk/platform';
import { SubgraphModule } from '@servicedesk/messaging';
import { AuditLogModule } from './audit-log/audit-log.module';
import { AUDIT_TEXT_LIMITS } from './audit-log/audit-log.input';
import { auditSubscriptions } from './audit.subscriptions';
import { AuditConfig } from './config';
import { AUDIT_SCHEMA, createAuditDataSource } from './data-source';

/** The audit subgraph: the hash-chained log of every event. */
@Module({})
export class AppModule {
  static forRoot(config: AuditConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SubgraphModule.forRoot({
          service: 'audit',
          schema: AUDIT_SCHEMA,
          config,
          logger,
          dataSource: (deps) => createAuditDataSource(config, deps),
          schemaDir: __dirname,
          subscriptions: auditSubscriptions,
          textLimits: AUDIT_TEXT_LIMITS,
          // Appends to the hash chain are serialised by a lock: handling several messages at
          // once would only park database connections waiting for it.
          consumer: { prefetch: 1 },
        }),
        AuditLogModule,
      ],
    };
  }
}
