import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { currentContext } from './context';

export type Logger = pino.Logger;

/** Field names whose values must never reach a log line, at the depths we log objects. */
const SENSITIVE_KEYS = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'authorization',
  'cookie',
];

/**
 * Parts of database errors that quote the data of the failed statement: TypeORM's
 * `parameters` (a password hash, an email) and PostgreSQL's `detail` ("Key (email)=(…)").
 */
const STATEMENT_DATA_KEYS = ['parameters', 'detail'];

function redactPaths(): string[] {
  const paths = [...SENSITIVE_KEYS, ...STATEMENT_DATA_KEYS].flatMap((key) => [
    key,
    `*.${key}`,
    `*.*.${key}`,
    `*.*.*.${key}`,
  ]);
  // Header names with dashes need bracket notation; request headers are where they appear.
  paths.push(
    'headers["x-service-token"]',
    'req.headers["x-service-token"]',
    'req.headers.authorization',
  );
  return paths;
}

export const REDACT_PATHS: readonly string[] = redactPaths();
export const REDACTED = '[REDACTED]';

/**
 * The fields that tie a line to its request and trace, named alike in every process
 * (docs/logging.md). Trace ids come from the active span, so they appear whenever tracing is
 * on, under the same names as the access lines use.
 */
function contextFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const context = currentContext();
  if (context) {
    fields.correlationId = context.correlationId;
    if (context.identity) fields.userId = context.identity.userId;
  }
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}

/**
 * Structured JSON logs: every line names the service and, inside a request or a consumed
 * message, its correlation id and user, so one operation can be followed across services.
 * `destination` exists for tests; services log to stdout.
 */
export function createLogger(
  service: string,
  level = 'info',
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    mixin: contextFields,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A connection URL fit for logs and messages: its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}
