import { Registry } from 'prom-client';
import { QueryTelemetryLogger } from './database';
import { createLogger } from './logger';

/** A failure as the pg driver reports it: an Error carrying the SQLSTATE in `code`. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('QueryTelemetryLogger', () => {
  const logger = createLogger('database-spec', 'silent');
  const telemetry = new QueryTelemetryLogger(logger, new Registry());

  afterEach(() => jest.restoreAllMocks());

  it('warns of a failed statement', () => {
    const warn = jest.spyOn(logger, 'warn');
    const failure = pgError('57014', 'canceling statement due to statement timeout');

    telemetry.logQueryError(failure, 'SELECT pg_sleep(60)');

    expect(warn).toHaveBeenCalledWith(
      { err: failure, query: 'SELECT pg_sleep(60)' },
      'sql statement failed',
    );
  });

  it('only notes, at debug, a statement a constraint refused (the caller reports a conflict)', () => {
    const warn = jest.spyOn(logger, 'warn');
    const debug = jest.spyOn(logger, 'debug');
    const failure = pgError('23P01', 'conflicting key value violates exclusion constraint');

    telemetry.logQueryError(failure, 'INSERT INTO appointments …');

    expect(warn).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledWith(
      { err: failure, query: 'INSERT INTO appointments …' },
      'sql statement refused by a constraint',
    );
  });
});
