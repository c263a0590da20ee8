import { FragmentDefinitionNode, Kind, OperationDefinitionNode, parse } from 'graphql';
import { Caller, addressKey, chargesOf } from './rate-limit-charges';

const ANONYMOUS: Caller = { userId: null, address: '203.0.113.7' };
const SIGNED_IN: Caller = { userId: 'user-1', address: '203.0.113.7' };

function charges(source: string, caller: Caller, variables?: Record<string, unknown>) {
  const document = parse(source);
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION,
  )!;
  const fragments = Object.fromEntries(
    document.definitions
      .filter(
        (definition): definition is FragmentDefinitionNode =>
          definition.kind === Kind.FRAGMENT_DEFINITION,
      )
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return chargesOf({ operation, fragments, variables }, caller);
}

describe('chargesOf', () => {
  it('charges an anonymous query one point of its address, and a signed-in query nothing', () => {
    expect(charges('{ me { id } }', ANONYMOUS)).toEqual([
      { limit: 'anonymous', key: '203.0.113.7', points: 1 },
    ]);
    expect(charges('{ me { id } }', SIGNED_IN)).toEqual([]);
  });

  it('charges every aliased register, fragments at the root included', () => {
    const source = `mutation {
      a: register(input: {}) { accessToken }
      b: register(input: {}) { accessToken }
      ... on Mutation { c: register(input: {}) { accessToken } }
      ...more
    }
    fragment more on Mutation { d: register(input: {}) { accessToken } __typename }`;

    expect(charges(source, ANONYMOUS)).toEqual([
      { limit: 'anonymous', key: '203.0.113.7', points: 1 },
      { limit: 'register_per_address', key: '203.0.113.7', points: 4 },
    ]);
  });

  it('charges a login per address and per account, the email from a literal or a variable, in any letter case', () => {
    const literal = charges(
      'mutation { login(email: "Ann@Example.com", password: "x") { accessToken } }',
      ANONYMOUS,
    );
    const variable = charges(
      'mutation ($email: String!) { login(email: $email, password: "x") { accessToken } }',
      { userId: null, address: '198.51.100.1' },
      { email: ' ann@example.com ' },
    );

    const account = literal.find((charge) => charge.limit === 'login_per_account');
    expect(account?.key).not.toContain('example');
    expect(variable).toContainEqual(account);
    expect(literal).toContainEqual({ limit: 'login_per_address', key: '203.0.113.7', points: 1 });
  });

  it('counts each mutation field of a signed-in user', () => {
    expect(
      charges('mutation { a: createTicket { id } b: createTicket { id } __typename }', SIGNED_IN),
    ).toEqual([{ limit: 'mutations_per_user', key: 'user-1', points: 2 }]);
  });
});

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['2001:db8:0:12::1', '2001:db8:0:12::/64'],
    ['2001:0db8:0000:0012:ffff::9', '2001:db8:0:12::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('counts %s as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
