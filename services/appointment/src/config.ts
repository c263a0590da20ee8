import { z } from 'zod';
import {
  baseConfigShape,
  databasePoolShape,
  loadConfig,
  portVariable,
} from '@servicedesk/platform';

/** `APPOINTMENT_REMINDER_OFFSETS_MINUTES`: "1440,60" → [1440, 60] (distinct, largest first). */
const reminderOffsets = z
  .string()
  .default('1440,60')
  .transform((text, ctx) => {
    const parts = text.split(',').map((part) => part.trim());
    if (!parts.every((part) => /^[1-9][0-9]*$/.test(part))) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be comma-separated positive whole minutes, e.g. 1440,60',
      });
      return z.NEVER;
    }
    return [...new Set(parts.map(Number))].sort((a, b) => b - a);
  });

const appointmentConfigSchema = z.object({
  ...baseConfigShape,
  APPOINTMENT_PORT: portVariable(3005),
  APPOINTMENT_MANAGEMENT_PORT: portVariable(9005),
  // Handlers, requests, the relay and the reminder detector hold one connection at a time.
  ...databasePoolShape(7),
  /** Bookable starts are offered on this grid, counted from the start of each working period. */
  APPOINTMENT_SLOT_STEP_MINUTES: z.coerce.number().int().min(1).max(240).default(15),
  /** Customers cannot reschedule or cancel this close to the start; agents and admins can. */
  APPOINTMENT_CUSTOMER_CHANGE_NOTICE_MINUTES: z.coerce.number().int().min(0).default(1440),
  APPOINTMENT_REMINDER_OFFSETS_MINUTES: reminderOffsets,
  /** How often due reminders are looked for; 0 turns the timer off (on demand still works). */
  APPOINTMENT_REMINDER_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
  /** Reminders claimed per transaction; a run repeats until none is due. */
  APPOINTMENT_REMINDER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(200),
});

export type AppointmentConfig = z.infer<typeof appointmentConfigSchema>;

/** Injection token of the parsed configuration (see `core.module.ts`). */
export const APPOINTMENT_CONFIG = Symbol('appointment.config');

export function loadAppointmentConfig(env: NodeJS.ProcessEnv = process.env): AppointmentConfig {
  return loadConfig(appointmentConfigSchema, env);
}
