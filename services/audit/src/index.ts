/** What other packages (the end-to-end stack, tools) use to run the audit service in-process. */
export { createAuditApp } from './app';
export { loadAuditConfig } from './config';
export type { AuditConfig } from './config';
export { migrateAuditDatabase } from './migrate';
export { AUDIT_TEXT_LIMITS as auditTextLimits } from './audit-log/audit-log.input';
