import {
  GraphQLError,
  GraphQLFormattedError,
  GraphQLScalarType,
  Kind,
  OperationDefinitionNode,
  buildSchema,
  parse,
  validate,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { BadUserInputError } from './errors';
import { DateTimeScalar } from './date-time.scalar';
import { createGraphQLErrorFormatter } from './graphql-errors';

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

  describe('in a schema', () => {
    const schema = buildSchema(`
      scalar DateTime
      input Booking { startsAt: DateTime! }
      type Query { slots(from: DateTime, booking: Booking): Int }
    `);
    Object.assign(schema.getType('DateTime') as GraphQLScalarType, {
      parseValue: (value: unknown) => scalar.parseValue(value),
      parseLiteral: (ast: Parameters<DateTimeScalar['parseLiteral']>[0]) =>
        scalar.parseLiteral(ast),
    });
    const format = createGraphQLErrorFormatter();
    const formatted = (error: GraphQLError): GraphQLFormattedError =>
      format({ message: error.message, extensions: error.extensions }, error);

    it.each([
      ['{ slots(from: "yesterday") }', 'from'],
      ['{ slots(booking: {startsAt: "soon"}) }', 'booking.startsAt'],
    ])('answers a bad literal in %s with BAD_USER_INPUT naming %s', (query, field) => {
      const [error] = validate(schema, parse(query));
      expect(formatted(error).extensions).toEqual({ code: 'BAD_USER_INPUT', field });
      expect(formatted(error).message).toMatch(new RegExp(`^${field}: must be an ISO-8601`));
    });

    it.each([
      [{ from: 'yesterday' }, 'from'],
      [{ booking: { startsAt: '2025-13-45' } }, 'booking.startsAt'],
    ])('answers bad variables %j with BAD_USER_INPUT naming %s', (variables, field) => {
      const document = parse(
        'query($from: DateTime, $booking: Booking) { slots(from: $from, booking: $booking) }',
      );
      const operation = document.definitions[0] as OperationDefinitionNode;
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
      const [error] = 'errors' in coerced ? (coerced.errors ?? []) : [];
      expect(formatted(error).extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    });
  });
});
