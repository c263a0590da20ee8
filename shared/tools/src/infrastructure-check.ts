import { Client } from 'pg';
import { brokerDependency } from '@servicedesk/messaging';
import { postgresRefusal, reasonOf, redactUrl } from '@servicedesk/platform';

/**
 * Makes sure PostgreSQL answers and the configured database exists (creating it on a
 * fresh machine), or explains which server is missing and how to start it, or what to fix
 * when it refuses these credentials.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const database = decodeURIComponent(target.pathname.slice(1)) || 'postgres';
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw databaseFailure(databaseUrl, error);
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      database,
    ]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** Bounds the broker check: an address that never answers fails it instead of hanging. */
const BROKER_CHECK_TIMEOUT_MS = 5000;

/**
 * Makes sure RabbitMQ accepts a connection (the services' own start-up check), or explains
 * how to start it, or what to fix when it refuses these credentials or this vhost.
 */
export async function ensureBroker(rabbitmqUrl: string): Promise<void> {
  try {
    await brokerDependency(rabbitmqUrl).probe(BROKER_CHECK_TIMEOUT_MS);
  } catch (error) {
    throw brokerFailure(rabbitmqUrl, error);
  }
}

/** Why PostgreSQL at `url` took no connection, in the words of what to fix or how to start it. */
export function databaseFailure(url: string, error: unknown): Error {
  const refusal = postgresRefusal(error);
  if (refusal) return new Error(`PostgreSQL at ${redactUrl(url)} refused: ${refusal}`);
  return new Error(
    `PostgreSQL is not reachable at ${redactUrl(url)} (${reasonOf(error)}).\n` +
      '  Start it, e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`, or point DATABASE_URL at a running server.',
  );
}

/** Why RabbitMQ at `url` took no connection, in the words of what to fix or how to start it. */
export function brokerFailure(url: string, error: unknown): Error {
  const refusal = brokerDependency(url).refusal?.(error);
  if (refusal) return new Error(`RabbitMQ at ${redactUrl(url)} refused: ${refusal}`);
  return new Error(
    `RabbitMQ is not reachable at ${redactUrl(url)} (${reasonOf(error)}).\n` +
      '  Start it, e.g. `rabbitmq-server -detached`, or point RABBITMQ_URL at a running broker.',
  );
}
