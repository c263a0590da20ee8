import { z } from 'zod';
import {
  baseConfigShape,
  databasePoolShape,
  loadConfig,
  portVariable,
} from '@servicedesk/platform';
import { slaPolicySchema } from './sla/sla-policy';

const ticketConfigSchema = z.object({
  ...baseConfigShape,
  TICKET_PORT: portVariable(3002),
  TICKET_MANAGEMENT_PORT: portVariable(9002),
  // Handlers, requests, the relay and the SLA detector hold one connection at a time.
  ...databasePoolShape(7),
  /** JSON overriding targets of the default SLA policy (see `sla/sla-policy.ts`). */
  SLA_POLICY: slaPolicySchema,
  /** How often the SLA breach detector runs; 0 turns it off (it can still be run on demand). */
  SLA_CHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** Breaches claimed per transaction; a run repeats until none is left. */
  SLA_CHECK_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(200),
});

export type TicketConfig = z.infer<typeof ticketConfigSchema>;

export function loadTicketConfig(env: NodeJS.ProcessEnv = process.env): TicketConfig {
  return loadConfig(ticketConfigSchema, env);
}
