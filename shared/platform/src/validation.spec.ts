import { z } from 'zod';
import { BadUserInputError } from './errors';
import { isUuid, validateInput } from './validation';

const createTicketInput = z.object({
  title: z.string().min(3),
  requester: z.object({ email: z.string().email() }),
  tags: z.array(z.string().max(5)).default([]),
});

function failure(fn: () => unknown): BadUserInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadUserInputError) return error;
    throw error;
  }
  throw new Error('expected a BadUserInputError');
}

describe('validateInput', () => {
  it('returns the parsed value (defaults applied)', () => {
    expect(
      validateInput(createTicketInput, { title: 'Printer', requester: { email: 'a@b.io' } }),
    ).toEqual({
      title: 'Printer',
      requester: { email: 'a@b.io' },
      tags: [],
    });
  });

  it('reports the nested field path of the first issue, under the argument name', () => {
    const error = failure(() =>
      validateInput(createTicketInput, { title: 'Printer', requester: { email: 'nope' } }, 'input'),
    );

    expect(error.field).toBe('input.requester.email');
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details).toEqual({ field: 'input.requester.email' });
  });

  it('reports array items by index', () => {
    const error = failure(() =>
      validateInput(createTicketInput, {
        title: 'Printer',
        requester: { email: 'a@b.io' },
        tags: ['ok', 'too-long'],
      }),
    );

    expect(error.field).toBe('tags.1');
  });

  it('names the argument itself when the whole value is wrong', () => {
    expect(failure(() => validateInput(z.string().uuid(), 'x', 'ticketId')).field).toBe('ticketId');
  });
});

describe('isUuid', () => {
  it.each([
    ['a UUID', '0b6c2f7e-4f0a-4d5e-9a39-2f5b9c1d8e77', true],
    ['another string', 'ticket-1', false],
    ['a value of another type', 42, false],
  ])('tells %s', (_case, value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});
