import { ConfigError } from '@servicedesk/platform/standalone';
import { buildSchema, parse, validate } from 'graphql';
import { loadGatewayConfig } from './config';
import { readSupergraph } from './gateway';
import { queryLimitParseOptions, queryLimitRules } from './query-limits';
import { queryLimitsOf } from './query-limits-config';

// The supergraph declares its own directives, so graphql-js builds it as it is: the rules see
// the product's schema as the gateway serves it.
const supergraph = buildSchema(readSupergraph());
const defaults = queryLimitsOf(loadGatewayConfig({}));

/** The limits an operation breaks at the default limits (none: it would be served). */
function limitsBrokenBy(query: string): unknown[] {
  const document = parse(query, queryLimitParseOptions(defaults));
  const errors = validate(supergraph, document, queryLimitRules(defaults));
  return errors.map((error) => error.extensions.limit ?? error.message);
}

describe('query limits at their defaults', () => {
  it.each([
    [
      'the benchmark’s heavy read',
      `query BenchTickets { tickets(first: 20) { edges { node {
        id title requester { name } assignee { name } comments { author { name } } } } } }`,
    ],
    [
      'a full page of 100 tickets with their people',
      `{ tickets(first: 100) { edges { cursor node { id title description status priority tags
        version createdAt updatedAt slaBreached requester { id name email } assignee { id name } } }
        pageInfo { hasNextPage endCursor } } }`,
    ],
    [
      'a ticket’s audit trail',
      `query($id: ID!) { ticket(id: $id) { auditTrail(first: 50) { edges { node {
        type seq actor { id role } occurredAt payload hash prevHash } } } } }`,
    ],
    ['a sign-up', 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }'],
  ])('serve %s', (_name, query) => {
    expect(limitsBrokenBy(query)).toEqual([]);
  });

  it('refuse a nested read that multiplies its answer by a page per level', () => {
    const twoPages = `{ tickets(first: 100) { edges { node { requester {
      tickets(first: 100) { edges { node { id } } } } } } } }`;

    expect(limitsBrokenBy(twoPages)).toEqual(['cost']);
  });

  it('refuse two sign-ins in one operation', () => {
    const twoLogins = `mutation { a: login(email: "a@x.io", password: "p") { accessToken }
      b: login(email: "b@x.io", password: "p") { accessToken } }`;

    expect(limitsBrokenBy(twoLogins)).toEqual(['sensitiveMutations']);
  });
});

describe('query limit variables', () => {
  it('refuse a bound that is not a positive whole number, naming the variable', () => {
    expect(() => loadGatewayConfig({ QUERY_MAX_COST: '0' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ QUERY_MAX_DEPTH: 'deep' })).toThrow(/QUERY_MAX_DEPTH/);
  });
});
