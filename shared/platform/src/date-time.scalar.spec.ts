import { Kind } from 'graphql';
import { BadUserInputError } from './errors';
import { DateTimeScalar } from './date-time.scalar';

const scalar = new DateTimeScalar();

describe('DateTime scalar', () => {
  it('serializes Dates and date-time strings as ISO-8601 UTC with milliseconds', () => {
    expect(scalar.serialize(new Date('2025-06-01T12:34:56.789Z'))).toBe('2025-06-01T12:34:56.789Z');
    expect(scalar.serialize('2025-06-01T14:34:56+02:00')).toBe('2025-06-01T12:34:56.000Z');
  });

  it('parses variables and literals into Dates', () => {
    const instant = new Date('2025-06-01T12:34:56.789Z');
    expect(scalar.parseValue('2025-06-01T12:34:56.789Z')).toEqual(instant);
    expect(scalar.parseLiteral({ kind: Kind.STRING, value: '2025-06-01T12:34:56.789Z' })).toEqual(
      instant,
    );
  });

  it.each([
    ['a value that is no date', () => scalar.parseValue('yesterday')],
    ['a bare number in a string', () => scalar.parseValue('1')],
    [
      'a date-time without an offset (server-local time)',
      () => scalar.parseValue('2025-06-01T12:34:56'),
    ],
    ['a date without a time', () => scalar.parseValue('2025-06-01')],
    ['a value of another type', () => scalar.serialize(1748781296789)],
    ['a literal that is not a string', () => scalar.parseLiteral({ kind: Kind.INT, value: '1' })],
  ])('rejects %s as BAD_USER_INPUT', (_case, attempt) => {
    expect(attempt).toThrow(BadUserInputError);
  });
});
