// The correlation id of an incoming request, shared by the subgraphs' front door and the gateway.
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { CORRELATION_ID_HEADER } from './service-credential';

/** Ids we accept from callers: bounded and log-safe; anything else is replaced. */
const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlationIdOf(request: Request): string {
  const supplied = request.header(CORRELATION_ID_HEADER);
  return supplied && CORRELATION_ID_PATTERN.test(supplied) ? supplied : randomUUID();
}
