import {
  CORRELATION_ID_HEADER,
  correlationIdOf,
  runWithContext,
} from '@servicedesk/platform/standalone';
import type { RequestHandler, Response } from 'express';

export function correlationIdOfResponse(response: Response): string {
  return response.locals.correlationId as string;
}

/** Every response names its correlation id (the caller's or a new one); subgraph calls carry it on. */
export const assignCorrelationId: RequestHandler = (request, response, next) => {
  const correlationId = correlationIdOf(request);
  response.locals.correlationId = correlationId;
  response.setHeader(CORRELATION_ID_HEADER, correlationId);
  next();
};

/**
 * Runs the rest of the request in the platform's request context, so every log line written
 * while serving it carries the correlation id (and, once verified, the user). Mounted after the
 * body parser: the context then spans the whole GraphQL execution.
 */
export const withRequestContext: RequestHandler = (_request, response, next) =>
  runWithContext({ correlationId: correlationIdOfResponse(response), identity: null }, next);
