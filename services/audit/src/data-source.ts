import { DataSource } from 'typeorm';
import { DataSourceOptions, createDataSource } from '@servicedesk/platform';
import { messagingMigration } from '@servicedesk/messaging';
import { AuditEntry } from './audit-log/audit-entry.entity';
import { AuditConfig } from './config';
import { CreateAuditLog1795496842137 } from './migrations/1795496842137-CreateAuditLog';
import { CreateSubjectKeys1795600000000 } from './migrations/1795600000000-CreateSubjectKeys';
import { CheaperHashChecks1795700000000 } from './migrations/1795700000000-CheaperHashChecks';
import { ErasedSubjectEntity, SubjectKeyEntity } from './personal-data/subject-key.entity';

export const AUDIT_SCHEMA = 'audit';

export function createAuditDataSource(
  config: Pick<
    AuditConfig,
    'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'DATABASE_POOL_ACQUIRE_TIMEOUT_MS'
  >,
  options: Pick<DataSourceOptions, 'logger' | 'registry'> = {},
): DataSource {
  return createDataSource({
    url: config.DATABASE_URL,
    schema: AUDIT_SCHEMA,
    entities: [AuditEntry, SubjectKeyEntity, ErasedSubjectEntity],
    migrations: [
      messagingMigration(AUDIT_SCHEMA),
      CreateAuditLog1795496842137,
      CreateSubjectKeys1795600000000,
      CheaperHashChecks1795700000000,
    ],
    service: 'audit',
    pool: config,
    ...options,
  });
}
