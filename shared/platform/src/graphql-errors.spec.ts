import { Writable } from 'node:stream';
import { ForbiddenException } from '@nestjs/common';
import { GraphQLError, GraphQLFormattedError, locatedError } from 'graphql';
import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import {
  AppError,
  BadUserInputError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ServiceUnavailableError,
  UnauthenticatedError,
} from './errors';
import {
  UNEXPECTED_ERROR_MESSAGE,
  createGraphQLErrorFormatter,
  isConnectionError,
} from './graphql-errors';
import { createLogger } from './logger';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: createLogger('test', 'info', stream), lines };
}

/** What Apollo hands formatError for a value thrown in a resolver at `path` (wrapped as graphql-js does). */
function resolverError(
  original: unknown,
  path = ['ticket'],
): { formatted: GraphQLFormattedError; error: GraphQLError } {
  const error = locatedError(original, undefined, path);
  const formatted: GraphQLFormattedError = {
    message: error.message,
    path,
    locations: [{ line: 1, column: 3 }],
    extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: at /srv/secret/file.ts:1'] },
  };
  return { formatted, error };
}

function format(original: unknown) {
  const { logger, lines } = capturingLogger();
  const { formatted, error } = resolverError(original);
  return { result: createGraphQLErrorFormatter(logger)(formatted, error), lines };
}

describe('formatGraphQLError', () => {
  it.each<[string, AppError, string]>([
    [
      'BadUserInputError',
      new BadUserInputError('input.email', 'must be an email'),
      'BAD_USER_INPUT',
    ],
    ['NotFoundError', new NotFoundError('Ticket', '42'), 'NOT_FOUND'],
    ['ConflictError', new ConflictError('version mismatch'), 'CONFLICT'],
    ['ForbiddenError', new ForbiddenError('not yours'), 'FORBIDDEN'],
    ['UnauthenticatedError', new UnauthenticatedError('sign in'), 'UNAUTHENTICATED'],
    ['ServiceUnavailableError', new ServiceUnavailableError('broker'), 'SERVICE_UNAVAILABLE'],
  ])('maps %s to extensions.code %s, keeping message, path and locations', (_name, error, code) => {
    const { result } = format(error);

    expect(result.message).toBe(error.message);
    expect(result.extensions?.code).toBe(code);
    expect(result.path).toEqual(['ticket']);
    expect(result.locations).toEqual([{ line: 1, column: 3 }]);
    expect(result.extensions).not.toHaveProperty('stacktrace');
  });

  it('adds the field to BAD_USER_INPUT', () => {
    const { result } = format(new BadUserInputError('input.email', 'must be an email'));

    expect(result.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.email' });
  });

  it('hides an unknown error: "Unexpected error", INTERNAL_SERVER_ERROR, no stack, original logged', () => {
    const { result, lines } = format(
      new TypeError('cannot read x of undefined at /srv/secret/file.ts'),
    );

    expect(result).toEqual({
      message: UNEXPECTED_ERROR_MESSAGE,
      path: ['ticket'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      err: { message: 'cannot read x of undefined at /srv/secret/file.ts' },
    });
  });

  it('hides a thrown non-Error value too', () => {
    expect(format('just a string').result.message).toBe(UNEXPECTED_ERROR_MESSAGE);
  });

  it.each([
    [
      'ECONNREFUSED',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['connection terminated', new Error('Connection terminated unexpectedly')],
    ['connect timeout', new Error('timeout exceeded when trying to connect')],
    [
      'admin shutdown (57P01)',
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
    ],
    [
      'connection failure (08006)',
      Object.assign(new Error('connection failure'), { code: '08006' }),
    ],
    [
      'statement timeout (57014)',
      new QueryFailedError(
        'SELECT 1',
        [],
        Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      ),
    ],
    ['client-side query timeout', new Error('Query read timeout')],
    [
      'QueryFailedError wrapping a lost connection',
      new QueryFailedError(
        'SELECT 1',
        [],
        Object.assign(new Error('server closed the connection'), { code: '08003' }),
      ),
    ],
  ])('maps an unreachable database (%s) to SERVICE_UNAVAILABLE without details', (_case, error) => {
    const { result } = format(error);

    expect(result.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(result.message).not.toMatch(/5432|ECONNREFUSED|terminated|SELECT/);
  });

  it('does not mistake a failing query for an unreachable database', () => {
    const violation = new QueryFailedError(
      'INSERT ...',
      [],
      Object.assign(new Error('duplicate key'), { code: '23505' }),
    );

    expect(isConnectionError(violation)).toBe(false);
    expect(format(violation).result.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('maps TypeORM EntityNotFoundError to NOT_FOUND', () => {
    expect(format(new EntityNotFoundError('Ticket', { id: '1' })).result.extensions?.code).toBe(
      'NOT_FOUND',
    );
  });

  it('maps Nest HTTP exceptions (from guards) to our codes', () => {
    expect(format(new ForbiddenException()).result.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps GraphQL’s own errors (validation) with their code but without a stack', () => {
    const validation = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const formatted: GraphQLFormattedError = {
      message: validation.message,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['GraphQLError: ...'] },
    };

    expect(createGraphQLErrorFormatter()(formatted, validation)).toEqual({
      message: validation.message,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });
});
