import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { operationsTypeDefs } from '@servicedesk/messaging';
import { parse } from 'graphql';

const SERVICES = join(__dirname, '..', '..');

/** A subgraph's SDL as the service serves it: its schema file plus the generated operations. */
function subgraph(name: string) {
  const sdl = readFileSync(join(SERVICES, name, 'src', 'schema.graphql'), 'utf8');
  return {
    name,
    url: `http://${name}.test/graphql`,
    typeDefs: parse(`${sdl}\n${operationsTypeDefs(name)}`),
  };
}

describe('appointment subgraph schema', () => {
  it('composes with the user, ticket and audit subgraphs', () => {
    const result = composeServices(['user', 'ticket', 'audit', 'appointment'].map(subgraph));
    expect(result.errors?.map((error) => error.message) ?? []).toEqual([]);
    expect(result.supergraphSdl).toContain('bookAppointment');
  });
});
