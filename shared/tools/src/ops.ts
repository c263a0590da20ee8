import { ChannelModel, connect } from 'amqplib';
import { Client } from 'pg';
import { loadToolsConfig } from './config';
import { brokerFailure, databaseFailure } from './infrastructure-check';
import { OPS_USAGE, OpsUsageError, parseOpsArguments } from './ops-arguments';
import { OpsEnvironment, OpsError, runOpsCommand } from './ops-commands';

/**
 * `npm run ops -- …`: what an operator needs to see and fix in the event backbone — the
 * outbox backlog of each service and the dead-letter queues — without a management UI.
 * Nothing is listed by hand: an outbox is found in each schema that has one, the queues in
 * the platform's registry of subscriptions.
 */

class InfrastructureError extends Error {}

async function connectDatabase(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new InfrastructureError(databaseFailure(url, error).message);
  }
  return client;
}

async function connectBroker(url: string): Promise<ChannelModel> {
  try {
    const connection = await connect(url, {
      clientProperties: { connection_name: 'servicedesk ops' },
    });
    connection.on('error', () => undefined);
    return connection;
  } catch (error) {
    throw new InfrastructureError(brokerFailure(url, error).message);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseOpsArguments(argv);
  } catch (error) {
    if (!(error instanceof OpsUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${OPS_USAGE}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${OPS_USAGE}\n`);
    return 0;
  }

  const config = loadToolsConfig();
  // Each connection is opened on first use: `dlq show` works without PostgreSQL, `outbox status` without RabbitMQ.
  let database: Promise<Client> | undefined;
  let broker: Promise<ChannelModel> | undefined;
  try {
    const env: OpsEnvironment = {
      db: {
        query: async (sql, parameters) => {
          database ??= connectDatabase(config.DATABASE_URL);
          return (await (await database).query(sql, parameters)).rows;
        },
      },
      broker: () => (broker ??= connectBroker(config.RABBITMQ_URL)),
    };
    const result = await runOpsCommand(command, env);
    process.stdout.write(`${command.json ? JSON.stringify(result.data, null, 2) : result.text}\n`);
    return 0;
  } catch (error) {
    if (error instanceof InfrastructureError || error instanceof OpsError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    const client = await database?.catch(() => undefined);
    await client?.end().catch(() => undefined);
    const connection = await broker?.catch(() => undefined);
    await connection?.close().catch(() => undefined);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`ops failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
