/** What other packages (the end-to-end stack, tools) use to run the audit service in-process. */
export { createAuditApp } from './app';
export { loadAuditConfig } from './config';
export type { AuditConfig } from './config';
export { migrateAuditDatabase } from './migrate';
