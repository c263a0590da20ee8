import { Counter, Registry } from 'prom-client';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { currentContext } from './context';
import type { DatabasePoolConfig } from './config';
import { applicationName } from './database-pool';
import { ReadinessCheck } from './health.registry';
import { Logger, createLogger } from './logger';
import { dbQueryCounter, dbQueryErrorCounter } from './metrics';

export * from './database-pool';

/** Tools and tests that build a DataSource without a service configuration. */
const DEFAULT_POOL: DatabasePoolConfig = {
  DATABASE_POOL_SIZE: 10,
  DATABASE_POOL_ACQUIRE_TIMEOUT_MS: 5000,
};
const DEFAULT_SLOW_QUERY_MS = 500;
/** No statement may hold a connection longer: a stalled database must not stall callers. */
const STATEMENT_TIMEOUT_MS = 30_000;

/** The class (first two characters) of a PostgreSQL error's SQLSTATE, if it has one. */
function sqlStateClassOf(error: string | Error): string | undefined {
  const code = typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code.slice(0, 2) : undefined;
}

/**
 * TypeORM's logger hook is the one place that sees every statement, so it feeds the
 * `db_queries_total` counter (which end-to-end tests read to catch N+1 queries) and reports
 * slow and failed statements. Parameters are never logged: they may hold personal data.
 */
export class QueryTelemetryLogger implements TypeOrmLogger {
  private readonly queries?: Counter;
  private readonly failures?: Counter;

  constructor(
    private readonly logger: Logger,
    registry?: Registry,
  ) {
    // Without a registry (migrations, tools) statements are logged but not counted.
    this.queries = registry && dbQueryCounter(registry);
    this.failures = registry && dbQueryErrorCounter(registry);
  }

  logQuery(query: string): void {
    this.queries?.inc({ origin: currentContext()?.origin ?? 'background' });
    this.logger.trace({ query }, 'sql');
  }

  logQueryError(error: string | Error, query: string): void {
    this.failures?.inc();
    // A constraint refusing a row (class 23: unique, exclusion, foreign key…) is how a
    // service learns of a conflict it then reports to the caller: not worth a warning.
    if (sqlStateClassOf(error) === '23') {
      this.logger.debug({ err: error, query }, 'sql statement refused by a constraint');
    } else {
      this.logger.warn({ err: error, query }, 'sql statement failed');
    }
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ durationMs: time, query }, 'slow sql statement');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug({ schemaBuild: message }, 'schema build');
  }

  logMigration(message: string): void {
    this.logger.info({ migration: message }, 'migration');
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn({ detail: message }, 'typeorm warning');
    else this.logger.debug({ detail: message }, 'typeorm');
  }
}

export interface DataSourceOptions {
  url: string;
  /** The service's own PostgreSQL schema; the migrations table lives there too. */
  schema: string;
  // TypeORM takes entity and migration classes as constructors of any shape.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  logger?: Logger;
  /** The app's metrics registry (`METRICS_REGISTRY`). */
  registry?: Registry;
  /** Names the connections in pg_stat_activity (`applicationName`); tools leave it out. */
  service?: string;
  pool?: DatabasePoolConfig;
  slowQueryMs?: number;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  const logger = options.logger ?? createLogger('database');
  const pool = options.pool ?? DEFAULT_POOL;
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    maxQueryExecutionTime: options.slowQueryMs ?? DEFAULT_SLOW_QUERY_MS,
    logger: new QueryTelemetryLogger(logger, options.registry),
    applicationName: applicationName(options.service ?? 'tools'),
    extra: {
      max: pool.DATABASE_POOL_SIZE,
      // pg-pool bounds both waits with it: for a free connection of a full pool and for a new
      // one to connect. Past it the statement fails as a connection error: SERVICE_UNAVAILABLE
      // for a request, a transient failure (retried) for a handler; never a hang.
      connectionTimeoutMillis: pool.DATABASE_POOL_ACQUIRE_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      // Client side too, for a server that stops answering without closing the connection.
      query_timeout: STATEMENT_TIMEOUT_MS + pool.DATABASE_POOL_ACQUIRE_TIMEOUT_MS,
      keepAlive: true,
    },
  });
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates the schema (quoted: `user` is a reserved word) and runs pending migrations, each in
 * its own transaction. An advisory lock serialises replicas that start at the same time.
 * Initializes the DataSource if needed and leaves it initialized.
 */
export async function migrate(dataSource: DataSource, schema: string): Promise<void> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock(hashtext($1))', [
      `servicedesk.migrate.${schema}`,
    ]);
    try {
      await lockRunner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lockRunner.query('SELECT pg_advisory_unlock(hashtext($1))', [
        `servicedesk.migrate.${schema}`,
      ]);
    }
  } finally {
    await lockRunner.release();
  }
}

export function databaseReadiness(dataSource: DataSource): ReadinessCheck {
  return {
    name: 'database',
    async check() {
      if (!dataSource.isInitialized) throw new Error('data source is not initialized');
      await dataSource.query('SELECT 1');
    },
  };
}

export interface SchemaMigration {
  service: string;
  schema: string;
  logLevel?: string;
  /** The service's own DataSource, built with the logger it is given. */
  dataSource: (dependencies: { logger: Logger }) => DataSource;
}

/** Brings a service's schema up to date with a DataSource of its own, closed afterwards. */
export async function migrateSchema(options: SchemaMigration): Promise<void> {
  const logger = createLogger(options.service, options.logLevel);
  const dataSource = options.dataSource({ logger });
  try {
    await migrate(dataSource, options.schema);
    logger.info({ schema: options.schema }, `${options.service} schema is up to date`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/** Body of a service's `migrate.js`: runs the migration; a failure is logged and exits 1. */
export function runMigrationCommand(service: string, run: () => Promise<void>): void {
  Promise.resolve()
    .then(run)
    .catch((error: unknown) => {
      createLogger(service).fatal({ err: error }, `${service} schema migration failed`);
      process.exitCode = 1;
    });
}
