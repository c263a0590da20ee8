import { z } from 'zod';
import { TICKET_PRIORITIES, TicketPriority } from '../tickets/ticket-status';

/** How long the support team has, per priority, to answer a ticket and to resolve it. */
export interface SlaTarget {
  firstResponseMinutes: number;
  resolutionMinutes: number;
}

export type SlaPolicy = Readonly<Record<TicketPriority, SlaTarget>>;

export const DEFAULT_SLA_POLICY: SlaPolicy = {
  URGENT: { firstResponseMinutes: 60, resolutionMinutes: 4 * 60 },
  HIGH: { firstResponseMinutes: 4 * 60, resolutionMinutes: 24 * 60 },
  NORMAL: { firstResponseMinutes: 8 * 60, resolutionMinutes: 72 * 60 },
  LOW: { firstResponseMinutes: 24 * 60, resolutionMinutes: 120 * 60 },
};

const minutes = z.number().int().positive();
const targetOverride = z
  .object({ firstResponseMinutes: minutes, resolutionMinutes: minutes })
  .partial()
  .strict();
const policyOverride = z
  .object(
    Object.fromEntries(TICKET_PRIORITIES.map((priority) => [priority, targetOverride.optional()])),
  )
  .strict();

type SlaPolicyOverride = Partial<Record<TicketPriority, Partial<SlaTarget>>>;

/** The default policy with the priorities and targets named in `override` replaced. */
export function mergeSlaPolicy(override: SlaPolicyOverride = {}): SlaPolicy {
  return Object.fromEntries(
    TICKET_PRIORITIES.map((priority) => [
      priority,
      { ...DEFAULT_SLA_POLICY[priority], ...override[priority] },
    ]),
  ) as Record<TicketPriority, SlaTarget>;
}

/**
 * `SLA_POLICY`: optional JSON overriding some targets of the default policy, e.g.
 * `{"URGENT":{"firstResponseMinutes":30},"LOW":{"resolutionMinutes":10080}}`.
 */
export const slaPolicySchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be JSON, e.g. {"URGENT":{"firstResponseMinutes":30}}',
      });
      return z.NEVER;
    }
  })
  .pipe(policyOverride)
  .optional()
  .transform((override) => mergeSlaPolicy(override as SlaPolicyOverride | undefined))
  .superRefine((policy, ctx) => {
    for (const priority of TICKET_PRIORITIES) {
      const target = policy[priority];
      if (target.firstResponseMinutes > target.resolutionMinutes) {
        ctx.addIssue({
          code: 'custom',
          message: `${priority}: firstResponseMinutes must not exceed resolutionMinutes`,
        });
      }
    }
  });

export interface SlaDueDates {
  firstResponseDueAt: Date;
  resolutionDueAt: Date;
}

const MINUTE_MS = 60_000;

/** Due times are fixed when a ticket is opened, from the policy of its priority. */
export function slaDueDates(
  policy: SlaPolicy,
  priority: TicketPriority,
  openedAt: Date,
): SlaDueDates {
  const target = policy[priority];
  return {
    firstResponseDueAt: new Date(openedAt.getTime() + target.firstResponseMinutes * MINUTE_MS),
    resolutionDueAt: new Date(openedAt.getTime() + target.resolutionMinutes * MINUTE_MS),
  };
}
