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
    const refusal = postgresRefusal(error);
    if (refusal) throw new Error(`PostgreSQL at ${redactUrl(databaseUrl)} refused: ${refusal}`);
    throw new Error(
      `PostgreSQL is not reachable at ${redactUrl(databaseUrl)} (${reasonOf(error)}).\n` +
        '  Start it, e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`, or point DATABASE_URL at a running server.',
    );
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
  const broker = brokerDependency(rabbitmqUrl);
  try {
    await broker.probe(BROKER_CHECK_TIMEOUT_MS);
  } catch (error) {
    const refusal = broker.refusal?.(error);
    if (refusal) throw new Error(`RabbitMQ at ${redactUrl(rabbitmqUrl)} refused: ${refusal}`);
    throw new Error(
      `RabbitMQ is not reachable at ${redactUrl(rabbitmqUrl)} (${reasonOf(error)}).\n` +
        '  Start it, e.g. `rabbitmq-server -detached`, or point RABBITMQ_URL at a running broker.',
    );
  }
}
