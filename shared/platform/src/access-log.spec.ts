import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ACCESS_LOG_MESSAGE, OK_OUTCOME, accessLogPlugin } from './access-log';
import { runWithContext } from './context';
import { createLogger } from './logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('ticket', 'info', stream), lines };
}

describe('accessLogPlugin', () => {
  const { logger, lines } = capture();
  const server = new ApolloServer({
    typeDefs: 'type Query { ticket: String, refused: String }',
    resolvers: {
      Query: {
        ticket: () => 'T-1',
        refused: () => {
          throw new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } });
        },
      },
    },
    plugins: [accessLogPlugin(logger)],
  });

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => lines.splice(0));

  it('writes one line per operation with its name, type, outcome, status, duration and request context', async () => {
    await runWithContext(
      { correlationId: 'corr-1', identity: { userId: 'u-1', role: 'AGENT' } },
      () => server.executeOperation({ query: 'query OneTicket { ticket }' }),
    );

    expect(lines).toEqual([
      expect.objectContaining({
        msg: ACCESS_LOG_MESSAGE,
        level: 'info',
        service: 'ticket',
        operationName: 'OneTicket',
        operationType: 'query',
        outcome: OK_OUTCOME,
        status: 200,
        durationMs: expect.any(Number),
        correlationId: 'corr-1',
        userId: 'u-1',
      }),
    ]);
  });

  it('names an anonymous operation by its first root field, and a failed one by its error code', async () => {
    await server.executeOperation({ query: '{ refused }' });

    expect(lines).toEqual([
      expect.objectContaining({ operationName: 'refused', outcome: 'FORBIDDEN' }),
    ]);
  });
});
