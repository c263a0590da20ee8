import { z } from 'zod';
import {
  configuredConsumerOptions,
  consumerOptions,
  migratePlatformTopology,
} from '@servicedesk/messaging';
import { baseConfigShape, loadConfig } from '@servicedesk/platform';
import { loadToolsConfig } from './config';
import { ensureDatabase } from './infrastructure-check';
import { ServiceStack, stackEnvironment, stackPorts } from './start';

/**
 * `npm run migrate`: creates the database if needed, brings every service's schema up to date
 * and declares the broker topology (migrating queues of older versions), without starting
 * anything (what a deployment runs before rolling out new code, with the consumers stopped).
 */

/** The consumer variables the topology depends on, read as the services read them. */
const topologyConfigSchema = z.object({
  CONSUMER_PREFETCH: baseConfigShape.CONSUMER_PREFETCH,
  CONSUMER_MAX_ATTEMPTS: baseConfigShape.CONSUMER_MAX_ATTEMPTS,
  CONSUMER_RETRY_BASE_MS: baseConfigShape.CONSUMER_RETRY_BASE_MS,
  CONSUMER_RETRY_MAX_MS: baseConfigShape.CONSUMER_RETRY_MAX_MS,
  CONSUMER_DELIVERY_LIMIT: baseConfigShape.CONSUMER_DELIVERY_LIMIT,
});

async function main(): Promise<void> {
  const config = loadToolsConfig();
  const say = (line: string) => process.stdout.write(`[servicedesk] ${line}\n`);
  await ensureDatabase(config.DATABASE_URL);
  const ports = stackPorts((spec) => spec.defaultPort);
  const stack = new ServiceStack({
    env: stackEnvironment(ports),
    ports,
    output: { stdout: process.stdout, stderr: process.stderr },
    say,
    onUnexpectedExit: () => undefined,
  });
  await stack.migrate();
  say('every schema is up to date');
  const options = consumerOptions(configuredConsumerOptions(loadConfig(topologyConfigSchema)));
  const migrated = await migratePlatformTopology(config.RABBITMQ_URL, options, say);
  say(
    `every queue and binding is declared${migrated.length > 0 ? ` (${migrated.length} queue(s) migrated)` : ''}`,
  );
}

main().catch((error: Error) => {
  process.stdout.write(`[servicedesk] migration failed: ${error.message}\n`);
  process.exitCode = 1;
});
