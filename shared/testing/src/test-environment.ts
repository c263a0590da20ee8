/**
 * Where the test infrastructure lives: the local servers unless TEST_DATABASE_URL or
 * TEST_RABBITMQ_URL point elsewhere. The only place the test library reads the environment.
 */
export const testInfrastructure = {
  databaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  rabbitmqUrl: process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};
