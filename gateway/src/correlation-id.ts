import { randomUUID } from 'node:crypto';
import { CORRELATION_ID_HEADER, runWithContext } from '@servicedesk/platform';
import type { Request, RequestHandler, Response } from 'express';

/** Ids accepted from callers are bounded and log-safe; anything else is replaced by a new one. */
const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

function correlationIdOf(request: Request): string {
  const supplied = request.header(CORRELATION_ID_HEADER);
  return supplied && CORRELATION_ID_PATTERN.test(supplied) ? supplied : randomUUID();
}

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
