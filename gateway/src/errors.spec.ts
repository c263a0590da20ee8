import { createLogger } from '@servicedesk/platform/standalone';
import { GraphQLError } from 'graphql';
import { createErrorFormatter } from './errors';

const formatError = createErrorFormatter(createLogger('gateway', 'silent'));

describe('gateway formatError', () => {
  it('keeps a subgraph error’s message, code and details, dropping internals', () => {
    const formatted = formatError(
      {
        message: 'email is not a valid address',
        path: ['register'],
        extensions: {
          code: 'BAD_USER_INPUT',
          field: 'input.email',
          serviceName: 'user',
          stacktrace: [
            'Error: …',
            '    at Object.<anonymous> (/srv/user/dist/users.service.js:10:5)',
          ],
        },
      },
      new GraphQLError('email is not a valid address'),
    );

    expect(formatted).toEqual({
      message: 'email is not a valid address',
      path: ['register'],
      extensions: { code: 'BAD_USER_INPUT', field: 'input.email', serviceName: 'user' },
    });
  });

  it('replaces the message of an unexpected error raised in the gateway itself', () => {
    const internal = new Error('Expected "data._entities" to contain 3 elements');

    const formatted = formatError(
      { message: internal.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      internal,
    );

    expect(formatted).toEqual({
      message: 'Unexpected error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('never forwards the raw HTTP response of a failed subgraph call', () => {
    const formatted = formatError(
      {
        message: '500: Internal Server Error',
        extensions: {
          code: 'SERVICE_UNAVAILABLE',
          serviceName: 'ticket',
          response: { url: 'http://10.0.0.7:3002/graphql', body: 'boom' },
        },
      },
      undefined,
    );

    expect(formatted.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', serviceName: 'ticket' });
  });
});
