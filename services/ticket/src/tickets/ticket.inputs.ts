import { z } from 'zod';
import {
  CURSOR_MAX_LENGTH,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  TextLimits,
  idempotencyKeySchema,
  pageSizeSchema,
} from '@servicedesk/platform';
import { TICKET_PRIORITIES, TICKET_STATUSES } from './ticket-status';
import type { TicketFilter } from './ticket-filter';

/**
 * Validation of every argument the ticket API accepts; the length of each text is the input
 * contract's (`TICKET_TEXT_LIMITS`), checked before these run. Each schema validates the whole
 * argument object of one field, so an issue's path is the argument's name as the client
 * wrote it (`input.title`, `assigneeId`, `filter.tag`, …).
 */
const id = z.uuid({ error: 'must be a UUID' });
const status = z.enum(TICKET_STATUSES, { error: 'is not a ticket status' });
const priority = z.enum(TICKET_PRIORITIES, { error: 'is not a ticket priority' });

export const TITLE_MAX_LENGTH = 200;
export const DESCRIPTION_MAX_LENGTH = 10_000;
export const COMMENT_MAX_LENGTH = 10_000;
export const MAX_TAGS = 10;
export const TAG_MAX_LENGTH = 40;

const tag = z
  .string()
  .min(1, 'must not be empty')
  .regex(
    /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
    'must be a lowercase slug such as "billing" or "password-reset"',
  );

/** Blank optional text means "not given". */
const optionalText = (schema: z.ZodString) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    schema.optional(),
  );

export const createTicketArgs = z.object({
  input: z.object({
    title: z.string().trim().min(1, 'is required'),
    description: z.string().trim(),
    priority: priority.nullish().transform((value) => value ?? 'NORMAL'),
    tags: z
      .array(tag)
      .max(MAX_TAGS, `must have at most ${MAX_TAGS} tags`)
      .nullish()
      .transform((tags) => [...new Set(tags ?? [])]),
  }),
  idempotencyKey: idempotencyKeySchema,
});

export const assignTicketArgs = z.object({ ticketId: id, assigneeId: id });

export const changeTicketStatusArgs = z.object({
  ticketId: id,
  status,
  expectedVersion: z.number().int().positive('must be a version the ticket had'),
});

export const addCommentArgs = z.object({
  ticketId: id,
  body: z.string().trim().min(1, 'is required'),
  internal: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  idempotencyKey: idempotencyKeySchema,
});

export const ticketArgs = z.object({ id });

const filter = z
  .object({
    status: z.array(status).nullish(),
    priority: z.array(priority).nullish(),
    assigneeId: id.nullish(),
    requesterId: id.nullish(),
    tag: optionalText(z.string().trim().toLowerCase()),
    text: optionalText(z.string().trim()),
  })
  .nullish()
  .transform((value): TicketFilter => {
    const result: TicketFilter = {};
    if (value?.status?.length) result.status = value.status;
    if (value?.priority?.length) result.priority = value.priority;
    if (value?.assigneeId) result.assigneeId = value.assigneeId;
    if (value?.requesterId) result.requesterId = value.requesterId;
    if (value?.tag) result.tag = value.tag;
    if (value?.text) result.text = value.text;
    return result;
  });

export const ticketListArgs = z.object({
  filter,
  first: pageSizeSchema({ min: 0 }),
  after: z.string().nullish(),
});

export type CreateTicketArgs = z.infer<typeof createTicketArgs>;
export type ChangeTicketStatusArgs = z.infer<typeof changeTicketStatusArgs>;
export type AddCommentArgs = z.infer<typeof addCommentArgs>;

/** The longest text each argument and input field takes, enforced before resolvers run. */
export const TICKET_TEXT_LIMITS: TextLimits = {
  'CreateTicketInput.title': TITLE_MAX_LENGTH,
  'CreateTicketInput.description': DESCRIPTION_MAX_LENGTH,
  'CreateTicketInput.tags': TAG_MAX_LENGTH,
  'Mutation.createTicket(idempotencyKey:)': IDEMPOTENCY_KEY_MAX_LENGTH,
  'Mutation.addComment(body:)': COMMENT_MAX_LENGTH,
  'Mutation.addComment(idempotencyKey:)': IDEMPOTENCY_KEY_MAX_LENGTH,
  'TicketFilter.tag': TAG_MAX_LENGTH,
  'TicketFilter.text': TITLE_MAX_LENGTH,
  'Query.tickets(after:)': CURSOR_MAX_LENGTH,
  'User.tickets(after:)': CURSOR_MAX_LENGTH,
  'User.assignedTickets(after:)': CURSOR_MAX_LENGTH,
};
