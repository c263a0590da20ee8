import { GraphQLError } from 'graphql';
import { createGraphQLErrorFormatter } from './graphql-errors';
import { withoutSuggestions } from './graphql-suggestions';
import { createLogger } from './logger';

describe('withoutSuggestions', () => {
  it.each([
    [
      'Cannot query field "nme" on type "User". Did you mean "name"?',
      'Cannot query field "nme" on type "User".',
    ],
    [
      'Variable "$status" got invalid value "OPN"; Value "OPN" does not exist in "TicketStatus" enum. Did you mean the enum value "OPEN"?',
      'Variable "$status" got invalid value "OPN"; Value "OPN" does not exist in "TicketStatus" enum.',
    ],
    [
      'Unknown argument "frist" on field "Query.tickets". Did you mean "first", "after", or "filter"?',
      'Unknown argument "frist" on field "Query.tickets".',
    ],
    ['title: must be at most 200 characters', 'title: must be at most 200 characters'],
  ])('turns %j into %j', (message, expected) => {
    expect(withoutSuggestions(message)).toBe(expected);
  });
});

describe('subgraph formatError and suggestions', () => {
  const coercion = new GraphQLError(
    'Variable "$role" got invalid value "AGENTS"; Value "AGENTS" does not exist in "Role" enum. Did you mean the enum value "AGENT"?',
    { extensions: { code: 'BAD_USER_INPUT' } },
  );
  const formatted = { message: coercion.message, extensions: { code: 'BAD_USER_INPUT' } };
  const logger = createLogger('test', 'silent');

  it('drops them in production', () => {
    const format = createGraphQLErrorFormatter(logger, { hideSuggestions: true });

    expect(format(formatted, coercion)).toEqual({
      message:
        'Variable "$role" got invalid value "AGENTS"; Value "AGENTS" does not exist in "Role" enum.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('keeps them for developers', () => {
    expect(createGraphQLErrorFormatter(logger)(formatted, coercion).message).toMatch(
      /Did you mean the enum value "AGENT"\?$/,
    );
  });
});
