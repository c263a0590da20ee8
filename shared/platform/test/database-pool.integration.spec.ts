import { DataSource, QueryRunner } from 'typeorm';
import { TestResource, createTestDatabase } from '@servicedesk/testing';
import { applicationName, createDataSource, createLogger, isConnectionError } from '../src';

/**
 * A pool sized from the configuration, on a real PostgreSQL: it never opens more than its
 * size, names its connections after the service, and a caller that finds it full fails as
 * "unavailable" once the acquire timeout has passed instead of waiting forever.
 */
describe('a service pool', () => {
  const ACQUIRE_TIMEOUT_MS = 300;
  let database: TestResource;
  let dataSource: DataSource;
  const held: QueryRunner[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await createDataSource({
      url: database.url,
      schema: 'public',
      entities: [],
      migrations: [],
      logger: createLogger('pool-spec', 'silent'),
      service: 'probe',
      pool: { DATABASE_POOL_SIZE: 2, DATABASE_POOL_ACQUIRE_TIMEOUT_MS: ACQUIRE_TIMEOUT_MS },
    }).initialize();
  });

  afterEach(async () => {
    await Promise.all(held.splice(0).map((runner) => runner.release()));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function holdConnection(): Promise<QueryRunner> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    held.push(runner);
    return runner;
  }

  it('names its connections after the service in pg_stat_activity', async () => {
    const runner = await holdConnection();

    const [{ name }] = await runner.query(
      'SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );

    expect(name).toBe(applicationName('probe'));
  });

  it('fails a caller that finds it full, as unavailable, once the acquire timeout has passed', async () => {
    await holdConnection();
    await holdConnection();
    const started = Date.now();

    const failure = await dataSource.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );

    const waited = Date.now() - started;
    expect(isConnectionError(failure)).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(ACQUIRE_TIMEOUT_MS + 2000);
  });

  it('serves the waiting caller as soon as a connection comes back', async () => {
    await holdConnection();
    const second = await holdConnection();

    const waiting = dataSource.query('SELECT 1 AS one');
    await second.release();

    await expect(waiting).resolves.toEqual([{ one: 1 }]);
  });
});
