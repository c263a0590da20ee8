// With tracing on, a log line names its trace once, as docs/logging.md says (`traceId`,
// `spanId`), not again under the OpenTelemetry pino instrumentation's names. The process runs
// from its sources: the SDK instruments pino as Node loads it, which Jest's loader bypasses.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPOSITORY_ROOT } from '../src/processes';

const REGISTER = join(__dirname, 'support', 'register-typescript.js');

/** Starts tracing as main.ts does, then logs one line inside a span and prints that span. */
const PROGRAM = `
  require('@servicedesk/platform/tracing').startTracing('log-fields');
  const { inSpan } = require('@servicedesk/platform/tracing');
  const { createLogger } = require('@servicedesk/platform/logger');
  const logger = createLogger('log-fields', 'info');
  inSpan('work', {}, async (span) => {
    logger.info({ instrumented: require('pino').name !== 'pino' }, 'inside a span');
    logger.info({ span: span.spanContext() }, 'the span');
  }).then(() => process.exit(0));
`;

type LogLine = Record<string, unknown>;

async function linesOfTracedProcess(): Promise<LogLine[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', REGISTER, '-e', PROGRAM], {
    cwd: REPOSITORY_ROOT,
    // Nothing listens there: the process exits before its first export.
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
    timeout: 50_000,
  });
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

describe('trace fields of a log line with tracing on', () => {
  it('carries the active span once, as traceId and spanId', async () => {
    const lines = await linesOfTracedProcess();
    const line = lines.find((each) => each.msg === 'inside a span')!;
    const { span } = lines.find((each) => each.msg === 'the span') as {
      span: { traceId: string; spanId: string };
    };

    // The pino instrumentation is loaded, so its fields would be there if it added them.
    expect(line.instrumented).toBe(true);
    expect(line).toMatchObject({ traceId: span.traceId, spanId: span.spanId });
    expect(Object.keys(line)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(trace_id|span_id|trace_flags)$/)]),
    );
  });
});
