// One access line per GraphQL operation, written alike by the gateway and every subgraph so an
// operator can follow a request from one process to the next (fields in docs/logging.md).
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { Kind } from 'graphql';
import { Logger } from './logger';

/** The `outcome` of an operation that answered without errors. */
export const OK_OUTCOME = 'OK';
export const ACCESS_LOG_MESSAGE = 'request served';

/** Durations in log lines: milliseconds, to a tenth. */
export function logDurationMs(seconds: number): number {
  return Math.round(seconds * 10_000) / 10;
}

/** The operation's name, or its first root field when it has none (`createTicket`, `_entities`). */
function operationNameOf(context: GraphQLRequestContext<object>): string | null {
  if (context.operationName) return context.operationName;
  const first = context.operation?.selectionSet.selections[0];
  return first?.kind === Kind.FIELD ? first.name.value : null;
}

/** The first error's code as the client sees it (after formatting), or OK. */
function outcomeOf(context: GraphQLRequestContext<object>): string {
  const body = context.response?.body;
  const errors = body?.kind === 'single' ? body.singleResult.errors : undefined;
  if (!errors?.length) return OK_OUTCOME;
  const code = errors[0].extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Logs each operation once it is answered, with one pino call: name, type, outcome, HTTP status
 * and duration; the logger adds the correlation id, user and trace ids of the request context.
 * Health and metrics endpoints never reach Apollo, so they write no access line. `logger` may
 * be a function, for apps whose logger is known only per request.
 */
export function accessLogPlugin(logger: Logger | (() => Logger)): ApolloServerPlugin {
  const loggerOf = typeof logger === 'function' ? logger : () => logger;
  return {
    requestDidStart() {
      const startedAt = process.hrtime.bigint();
      return Promise.resolve({
        willSendResponse(context) {
          loggerOf().info(
            {
              operationName: operationNameOf(context),
              operationType: context.operation?.operation ?? null,
              outcome: outcomeOf(context),
              status: context.response.http.status ?? 200,
              durationMs: logDurationMs(Number(process.hrtime.bigint() - startedAt) / 1e9),
            },
            ACCESS_LOG_MESSAGE,
          );
          return Promise.resolve();
        },
      });
    },
  };
}
