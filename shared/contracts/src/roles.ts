import { z } from 'zod';

export const ROLES = ['CUSTOMER', 'AGENT', 'ADMIN'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** Who did something: a signed-in person, or null for the system itself. */
export const actorSchema = z.object({ id: z.string().uuid(), role: roleSchema }).nullable();
export type Actor = z.infer<typeof actorSchema>;
