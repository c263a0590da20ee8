import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  addCommentArgs,
  assignTicketArgs,
  changeTicketStatusArgs,
  createTicketArgs,
  ticketArgs,
  ticketListArgs,
  TICKET_TEXT_LIMITS,
} from './ticket.inputs';

/** The field a client is told about: the path of the first issue. */
function rejectedField(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value);
  if (result.success) throw new Error(`accepted ${JSON.stringify(value)}`);
  return result.error.issues[0].path.join('.');
}

const createInput = (overrides: Record<string, unknown> = {}) => ({
  input: {
    title: 'VPN drops every hour',
    description: 'Since Monday.',
    priority: 'HIGH',
    tags: ['vpn'],
    ...overrides,
  },
});

describe('ticket inputs', () => {
  describe('createTicket', () => {
    it('trims text, defaults priority to NORMAL and removes duplicate tags', () => {
      const parsed = createTicketArgs.parse(
        createInput({
          title: '  Printer jam ',
          priority: null,
          tags: ['printer', 'office', 'printer'],
        }),
      );
      expect(parsed.input).toEqual({
        title: 'Printer jam',
        description: 'Since Monday.',
        priority: 'NORMAL',
        tags: ['printer', 'office'],
      });
    });

    it('accepts no tags and an empty description', () => {
      expect(
        createTicketArgs.parse(createInput({ tags: undefined, description: '' })).input.tags,
      ).toEqual([]);
    });

    it.each([
      ['an empty title', { title: '' }, 'input.title'],
      ['a blank title', { title: '   ' }, 'input.title'],
      ['an unknown priority', { priority: 'CRITICAL' }, 'input.priority'],
      ['more than 10 tags', { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'input.tags'],
      ['an uppercase tag', { tags: ['ok', 'Billing'] }, 'input.tags.1'],
      ['a tag with spaces', { tags: ['two words'] }, 'input.tags.0'],
      ['an empty tag', { tags: [''] }, 'input.tags.0'],
    ])('rejects %s on %s', (_case, overrides, field) => {
      expect(rejectedField(createTicketArgs, createInput(overrides))).toBe(field);
    });

    it('accepts limits exactly', () => {
      expect(() =>
        createTicketArgs.parse(
          createInput({
            title: 'x'.repeat(200),
            description: 'y'.repeat(10_000),
            tags: Array.from({ length: 10 }, (_, i) => `${'a'.repeat(39)}${i}`),
          }),
        ),
      ).not.toThrow();
    });
  });

  it('requires UUIDs for the ticket and the assignee', () => {
    expect(rejectedField(assignTicketArgs, { ticketId: 'T-1', assigneeId: randomUUID() })).toBe(
      'ticketId',
    );
    expect(rejectedField(assignTicketArgs, { ticketId: randomUUID(), assigneeId: 'bob' })).toBe(
      'assigneeId',
    );
    expect(rejectedField(ticketArgs, { id: '42' })).toBe('id');
  });

  it('requires a known status and a positive expected version', () => {
    const ticketId = randomUUID();
    expect(
      rejectedField(changeTicketStatusArgs, { ticketId, status: 'DONE', expectedVersion: 1 }),
    ).toBe('status');
    expect(
      rejectedField(changeTicketStatusArgs, { ticketId, status: 'OPEN', expectedVersion: 0 }),
    ).toBe('expectedVersion');
    expect(
      changeTicketStatusArgs.parse({ ticketId, status: 'RESOLVED', expectedVersion: 3 }).status,
    ).toBe('RESOLVED');
  });

  it('declares the longest text of each field to the input contract, which refuses longer text', () => {
    expect(TICKET_TEXT_LIMITS).toMatchObject({
      'CreateTicketInput.title': 200,
      'CreateTicketInput.description': 10_000,
      'CreateTicketInput.tags': 40,
      'Mutation.addComment(body:)': 10_000,
      'TicketFilter.text': 200,
    });
  });

  it('requires a non-blank comment body and defaults to public', () => {
    const ticketId = randomUUID();
    expect(rejectedField(addCommentArgs, { ticketId, body: ' \n ' })).toBe('body');
    expect(addCommentArgs.parse({ ticketId, body: ' Thanks! ', internal: null })).toEqual({
      ticketId,
      body: 'Thanks!',
      internal: false,
    });
  });

  describe('ticket lists', () => {
    it('defaults to 20 per page and drops empty criteria', () => {
      expect(ticketListArgs.parse({ filter: { status: [], tag: ' ', text: '' } })).toEqual({
        filter: {},
        first: 20,
      });
    });

    it('normalises the tag to lower case', () => {
      expect(ticketListArgs.parse({ filter: { tag: ' Billing ' }, first: 5 }).filter).toEqual({
        tag: 'billing',
      });
    });

    it.each([
      [{ first: 101 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ filter: { assigneeId: 'nobody' } }, 'filter.assigneeId'],
      [{ filter: { requesterId: 'me' } }, 'filter.requesterId'],
      [{ filter: { status: ['LOST'] } }, 'filter.status.0'],
    ])('rejects %j on %s', (args, field) => {
      expect(rejectedField(ticketListArgs, args)).toBe(field);
    });
  });
});
