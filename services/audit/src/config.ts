import { z } from 'zod';
import {
  baseConfigShape,
  databasePoolShape,
  loadConfig,
  portVariable,
} from '@servicedesk/platform';

const auditConfigSchema = z.object({
  ...baseConfigShape,
  AUDIT_PORT: portVariable(3003),
  AUDIT_MANAGEMENT_PORT: portVariable(9003),
  // One handler at a time (the hash chain is sequential), a few requests and the relay.
  ...databasePoolShape(3),
});

export type AuditConfig = z.infer<typeof auditConfigSchema>;

/** Reads and validates the audit service's configuration once, at start-up. */
export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  return loadConfig(auditConfigSchema, env);
}
