import { GraphQLError, OperationDefinitionNode, buildSchema, parse, validate } from 'graphql';
import { BadUserInputError } from './errors';
import {
  ID_MAX_LENGTH,
  assertTextLimitsCover,
  checkTextInputs,
  inputPathOf,
  textInputCoordinates,
} from './input-contract';

const schema = buildSchema(`
  scalar DateTime
  input NewTicket { title: String!, tags: [String!], ownerId: ID, dueAt: DateTime }
  type Ticket { id: ID!, comments(after: String): [String!]! }
  type Query { tickets(text: String, due: DateTime): [Ticket!]! }
  type Mutation { createTicket(input: NewTicket!): Ticket! }
`);

const limits = {
  'NewTicket.title': 10,
  'NewTicket.tags': 5,
  'Query.tickets(text:)': 20,
  'Ticket.comments(after:)': 30,
};

function refusal(source: string, variables?: Record<string, unknown>): GraphQLError {
  const document = parse(source);
  const operation = document.definitions[0] as OperationDefinitionNode;
  try {
    checkTextInputs(schema, document, operation, variables, limits);
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected the input to be refused');
}

const accepts = (source: string, variables?: Record<string, unknown>) => {
  const document = parse(source);
  const operation = document.definitions[0] as OperationDefinitionNode;
  expect(() => checkTextInputs(schema, document, operation, variables, limits)).not.toThrow();
};

describe('the input contract', () => {
  it('lists every String and ID position of a schema by its coordinate', () => {
    expect(Object.fromEntries(textInputCoordinates(schema))).toEqual({
      'NewTicket.title': 'String',
      'NewTicket.tags': 'String',
      'NewTicket.ownerId': 'ID',
      'Ticket.comments(after:)': 'String',
      'Query.tickets(text:)': 'String',
    });
  });

  it('refuses to start when a String position has no limit, or a limit names no position', () => {
    expect(() => assertTextLimitsCover(schema, limits)).not.toThrow();
    const { 'NewTicket.tags': _tags, ...withoutTags } = limits;
    expect(() => assertTextLimitsCover(schema, withoutTags)).toThrow(/missing NewTicket\.tags/);
    expect(() => assertTextLimitsCover(schema, { ...limits, 'NewTicket.body': 3 })).toThrow(
      /unknown NewTicket\.body/,
    );
  });

  it.each([
    ['a NUL character', 'a\u0000b', /NUL/],
    ['a lone high surrogate', 'a\uD800b', /unpaired surrogate/],
    ['a lone low surrogate', '\uDC00', /unpaired surrogate/],
  ])('refuses %s in a variable, naming its field', (_case, text, message) => {
    const error = refusal('mutation($input: NewTicket!) { createTicket(input: $input) { id } }', {
      input: { title: text },
    });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.title' });
    expect(error.message).toMatch(message);
    expect(error.originalError).toBeInstanceOf(BadUserInputError);
  });

  it('accepts text with paired surrogates (emoji) and other control-free Unicode', () => {
    accepts('mutation($input: NewTicket!) { createTicket(input: $input) { id } }', {
      input: { title: 'Hi 😀 é' },
    });
  });

  it('refuses NUL in a literal of a nested argument and in a list item', () => {
    expect(
      refusal('mutation { createTicket(input: {title: "ok", tags: ["a", "b\\u0000"]}) { id } }')
        .extensions.field,
    ).toBe('input.tags.1');
  });

  it('checks arguments of nested fields and of fragments, and plain arguments', () => {
    expect(refusal('{ tickets(text: "\\u0000") { id } }').extensions.field).toBe('text');
    expect(
      refusal(
        'query($c: String) { ...F } fragment F on Query { tickets { comments(after: $c) } }',
        {
          c: '\uDBFF',
        },
      ).extensions.field,
    ).toBe('after');
  });

  it('refuses text longer than its limit, counting characters rather than UTF-16 units', () => {
    accepts('query($t: String) { tickets(text: $t) { id } }', { t: '😀'.repeat(20) });
    const error = refusal('query($t: String) { tickets(text: $t) { id } }', { t: 'x'.repeat(21) });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(error.message).toBe('text: must be at most 20 characters');
  });

  it('bounds ids without a declared limit', () => {
    const error = refusal(
      'mutation($id: ID) { createTicket(input: {title: "t", ownerId: $id}) { id } }',
      {
        id: 'x'.repeat(ID_MAX_LENGTH + 1),
      },
    );
    expect(error.extensions.field).toBe('input.ownerId');
  });

  it('checks only the operation that runs', () => {
    const source = 'query Other { tickets(text: "\\u0000") { id } } query Runs { tickets { id } }';
    const document = parse(source);
    const runs = document.definitions[1] as OperationDefinitionNode;
    expect(() => checkTextInputs(schema, document, runs, {}, limits)).not.toThrow();
  });

  it('uses a variable default when the variable is not sent', () => {
    expect(
      refusal('query($t: String = "\\u0000") { tickets(text: $t) { id } }').extensions.field,
    ).toBe('text');
  });
});

describe('inputPathOf', () => {
  it('names the argument of a literal that failed validation', () => {
    const failing = buildSchema(`
      scalar Odd
      input Booking { startsAt: Odd! }
      type Query { slots(from: Odd, booking: Booking): Int }
    `);
    const odd = failing.getType('Odd') as unknown as { parseLiteral: () => never };
    odd.parseLiteral = () => {
      throw new BadUserInputError('Odd', 'must be odd');
    };
    const [fromError] = validate(failing, parse('{ slots(from: "2") }'));
    expect(inputPathOf(fromError)).toBe('from');
    const [nestedError] = validate(failing, parse('{ slots(booking: {startsAt: "2"}) }'));
    expect(inputPathOf(nestedError)).toBe('booking.startsAt');
  });

  it('names the argument a failed variable was given to, with the path inside it', () => {
    const source = 'query($b: Booking) { slots(booking: $b) }';
    const variable = parse(source).definitions[0] as OperationDefinitionNode;
    const error = new GraphQLError(
      'Variable "$b" got invalid value "x" at "b.startsAt"; must be a date-time',
      { nodes: variable.variableDefinitions?.[0], source: variable.loc?.source },
    );
    expect(inputPathOf(error)).toBe('booking.startsAt');
  });

  it('is undefined for errors about no value', () => {
    expect(inputPathOf(new GraphQLError('Unexpected error'))).toBeUndefined();
  });
});
