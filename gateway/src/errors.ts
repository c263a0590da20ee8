import { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { withoutSuggestions } from '@servicedesk/platform/standalone';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { asQueryLimitRefusal } from './query-limits';

/** A present but unusable access token: the whole request is refused, nothing is forwarded. */
export function unauthenticatedError(reason: string): GraphQLError {
  return new GraphQLError('Invalid or expired access token', {
    extensions: {
      code: 'UNAUTHENTICATED',
      // RFC 6750: a rejected bearer token answers 401 and says why in WWW-Authenticate.
      http: {
        status: 401,
        headers: new HeaderMap([
          ['www-authenticate', `Bearer error="invalid_token", error_description="${reason}"`],
        ]),
      },
    },
  });
}

/**
 * `dependency` could not answer in time or at all. `serviceName` names the subgraph when it
 * is one (clients and dashboards see which part of the graph is missing); `status` sets the
 * HTTP status when the whole request fails.
 */
export function serviceUnavailableError(
  dependency: string,
  options: { serviceName?: string; status?: number } = {},
): GraphQLError {
  return new GraphQLError(`The ${dependency} service is unavailable, try again shortly`, {
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      ...(options.serviceName ? { serviceName: options.serviceName } : {}),
      ...(options.status ? { http: { status: options.status } } : {}),
    },
  });
}

/** The whole answer to a request whose deadline passed before Apollo answered it. */
export const DEADLINE_PASSED_ANSWER = {
  errors: [
    {
      message: 'The request could not be answered in time, try again shortly',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    },
  ],
};

/**
 * A document in which the request names no operation (an unknown `operationName`, or several
 * operations and no name) is the client's mistake: answered 400 BAD_REQUEST before anything
 * runs. Left to Apollo, the gateway's executor is handed no operation and fails with a 500.
 */
export const unresolvedOperationPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation) return;
        const message = request.operationName
          ? `Unknown operation named "${request.operationName}".`
          : 'Must provide operation name if query contains multiple operations.';
        throw new GraphQLError(message, {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      },
    };
  },
};

/** Extensions that can carry internals (stack frames, subgraph URLs and raw bodies). */
const INTERNAL_EXTENSIONS = ['stacktrace', 'exception', 'response', 'originalError'];

/**
 * Apollo `formatError` of the gateway. Subgraph errors were already mapped to the contract's
 * codes by the subgraph (they carry `serviceName`); what remains to do here is to strip
 * anything internal, to hide the message of errors raised inside the gateway itself
 * that are not meant for clients (they are logged instead), to give refusals by a query
 * limit their code, and in production to drop "Did you mean …?" hints.
 */
export function createErrorFormatter(logger: Logger, options: { hideSuggestions?: boolean } = {}) {
  return (received: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const formatted = asQueryLimitRefusal(received);
    const extensions = { ...formatted.extensions };
    for (const key of INTERNAL_EXTENSIONS) delete extensions[key];
    const code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
    extensions.code = code;
    let message = formatted.message;
    if (code === 'INTERNAL_SERVER_ERROR' && extensions.serviceName === undefined) {
      logger.error(
        { err: error, path: formatted.path },
        'unexpected error while executing a request',
      );
      message = 'Unexpected error';
    }
    return {
      message: options.hideSuggestions ? withoutSuggestions(message) : message,
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions,
    };
  };
}

export const answerNotFound: RequestHandler = (_request, response) => {
  response.status(404).json({ error: 'not found' });
};

/** A body over MAX_BODY_BYTES: refused before it is read, with the limit to stay within. */
function bodyTooLargeAnswer(limitBytes: number | undefined) {
  return {
    errors: [
      {
        message: `The request body is larger than the limit of ${limitBytes ?? 'MAX_BODY_BYTES'} bytes; send a smaller document or smaller variables`,
        extensions: { code: 'BAD_USER_INPUT', field: 'body', maxBodyBytes: limitBytes },
      },
    ],
  };
}

/**
 * Errors raised before GraphQL runs (a body that is not JSON, or too large): answered in
 * GraphQL's error shape, never with Express's default page, which shows a stack trace.
 */
export function httpErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: { status?: number; type?: string; limit?: number }, _request, response, _next) => {
    // Apollo finishing after the deadline guard answered: the client has had its answer.
    if (response.headersSent) return;
    if (error.type === 'entity.too.large') {
      response.status(413).json(bodyTooLargeAnswer(error.limit));
      return;
    }
    const clientError =
      typeof error.status === 'number' && error.status >= 400 && error.status < 500;
    if (!clientError)
      logger.error({ err: error }, 'unexpected error while handling an HTTP request');
    response.status(clientError ? (error.status as number) : 500).json({
      errors: [
        clientError
          ? {
              message: `The request could not be read (${error.type ?? 'bad request'})`,
              extensions: { code: 'BAD_REQUEST' },
            }
          : { message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      ],
    });
  };
}
