import { Client } from 'pg';
import { connect } from 'amqplib';
import { redactUrl } from '@servicedesk/platform';
import { testInfrastructure } from './infrastructure';

/** Fails the run at once, with the fix, when PostgreSQL or RabbitMQ is not reachable. */
export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: testInfrastructure.databaseUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${redactUrl(testInfrastructure.databaseUrl)} (${(error as Error).message}). ` +
        'Start it (pg_ctlcluster <version> main start) or set TEST_DATABASE_URL.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  try {
    const connection = await connect(testInfrastructure.rabbitmqUrl);
    await connection.close();
  } catch (error) {
    throw new Error(
      `RabbitMQ is not reachable at ${redactUrl(testInfrastructure.rabbitmqUrl)} (${(error as Error).message}). ` +
        'Start it (rabbitmq-server -detached) or set TEST_RABBITMQ_URL.',
    );
  }
}
