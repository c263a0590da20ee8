import { Writable } from 'node:stream';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { runWithContext } from './context';
import { REDACTED, createLogger } from './logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: createLogger('ticket', 'info', stream), lines };
}

describe('createLogger', () => {
  it('writes JSON with the service name, a level label and an ISO time', () => {
    const { logger, lines } = capture();

    logger.info('ticket created');

    expect(lines[0]).toMatchObject({ service: 'ticket', level: 'info', msg: 'ticket created' });
    expect(new Date(lines[0].time as string).toISOString()).toBe(lines[0].time);
  });

  it('adds the correlation id and user of the current request context', () => {
    const { logger, lines } = capture();

    runWithContext({ correlationId: 'corr-1', identity: { userId: 'u-1', role: 'AGENT' } }, () =>
      logger.info('inside'),
    );
    runWithContext({ correlationId: 'corr-2', identity: null }, () => logger.info('anonymous'));
    logger.info('outside');

    expect(lines[0]).toMatchObject({ correlationId: 'corr-1', userId: 'u-1' });
    expect(lines[1]).toMatchObject({ correlationId: 'corr-2' });
    expect(lines[1]).not.toHaveProperty('userId');
    expect(lines[2]).not.toHaveProperty('correlationId');
  });

  it('names the active span as traceId and spanId, and adds nothing without one', () => {
    const { logger, lines } = capture();
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    try {
      context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), () => logger.info('traced'));
      logger.info('untraced');
    } finally {
      context.disable();
    }

    expect(lines[0]).toMatchObject({ traceId: spanContext.traceId, spanId: spanContext.spanId });
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).not.toHaveProperty('traceId');
  });

  it.each([
    ['password', { password: 'hunter2' }, ['password']],
    ['token', { token: 'tok' }, ['token']],
    ['secret', { secret: 's' }, ['secret']],
    ['authorization', { authorization: 'Bearer x' }, ['authorization']],
    [
      'refreshToken in a nested object',
      { input: { refreshToken: 'r' } },
      ['input', 'refreshToken'],
    ],
    [
      'accessToken two levels deep',
      { result: { payload: { accessToken: 'a' } } },
      ['result', 'payload', 'accessToken'],
    ],
    ['a nested password', { args: { input: { password: 'p' } } }, ['args', 'input', 'password']],
    [
      'request headers',
      { req: { headers: { authorization: 'Bearer x' } } },
      ['req', 'headers', 'authorization'],
    ],
    [
      'the service token header',
      { headers: { 'x-service-token': 'jwt' } },
      ['headers', 'x-service-token'],
    ],
    ['cookies', { headers: { cookie: 'sid=1' } }, ['headers', 'cookie']],
  ])('redacts %s', (_case, fields, path) => {
    const { logger, lines } = capture();

    logger.info(fields, 'with a secret');

    const value = path.reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)[key],
      lines[0],
    );
    expect(value).toBe(REDACTED);
  });

  it('keeps the data of a failed SQL statement out of logged database errors', () => {
    const { logger, lines } = capture();
    const failure = Object.assign(new Error('duplicate key value violates unique constraint'), {
      parameters: ['$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'ada@example.com'],
      driverError: {
        code: '23505',
        detail: 'Key (lower(email))=(ada@example.com) already exists.',
      },
    });

    logger.error({ err: failure }, 'sql statement failed');

    const logged = JSON.stringify(lines[0]);
    expect(logged).not.toContain('ada@example.com');
    expect(logged).not.toContain('argon2id');
    expect(lines[0]).toMatchObject({
      err: { parameters: REDACTED, driverError: { code: '23505', detail: REDACTED } },
    });
  });

  it('leaves ordinary fields alone', () => {
    const { logger, lines } = capture();

    logger.info({ ticketId: 't-1', input: { title: 'Printer' } }, 'plain');

    expect(lines[0]).toMatchObject({ ticketId: 't-1', input: { title: 'Printer' } });
  });
});
