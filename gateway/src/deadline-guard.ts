import type { RequestHandler, Response } from 'express';
import { getOperationAST, parse } from 'graphql';
import type { Logger } from 'pino';
import { correlationIdOfResponse } from './correlation-id';
import { DEADLINE_PASSED_ANSWER } from './errors';
import { RequestDeadline } from './request-deadline';

// The last resort behind the per-call budgets: whatever holds a request up past its deadline,
// the client gets an answer and the operator a log line saying what it was waiting for.

export function requestDeadlineOf(response: Response): RequestDeadline {
  return response.locals.deadline as RequestDeadline;
}

/** The operation a GraphQL request body names or holds, for logs; undefined when it cannot tell. */
export function operationNameOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { query, operationName } = body as { query?: unknown; operationName?: unknown };
  if (typeof operationName === 'string') return operationName;
  if (typeof query !== 'string') return undefined;
  try {
    return getOperationAST(parse(query))?.name?.value;
  } catch {
    return undefined;
  }
}

/**
 * Starts the request's deadline on arrival (so it covers reading the body, authentication,
 * planning and every subgraph call) and, if no answer has started when it passes, answers
 * 503 SERVICE_UNAVAILABLE itself; Apollo's answer, should it come later, is dropped.
 */
export function deadlineGuard(timeoutMs: number, logger: Logger): RequestHandler {
  return (request, response, next) => {
    const deadline = new RequestDeadline(timeoutMs);
    response.locals.deadline = deadline;
    const timer = setTimeout(() => {
      if (response.headersSent) return;
      logger.warn(
        {
          // Parsed only here: a request answered in time never pays for it.
          operationName: operationNameOf(request.body),
          correlationId: correlationIdOfResponse(response),
          elapsedMs: deadline.elapsedMs(),
          pending: deadline.pendingCalls(),
        },
        'request deadline passed without an answer: answered SERVICE_UNAVAILABLE',
      );
      response.status(503).json(DEADLINE_PASSED_ANSWER);
    }, timeoutMs);
    // Emitted once the answer is sent or the client has gone, whichever comes first.
    response.once('close', () => clearTimeout(timer));
    next();
  };
}
