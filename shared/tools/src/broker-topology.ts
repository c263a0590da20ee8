import { z } from 'zod';
import {
  TopologyOptions,
  configuredConsumerOptions,
  consumerOptions,
  migratePlatformTopology,
} from '@servicedesk/messaging';
import { baseConfigShape, loadConfig } from '@servicedesk/platform';

/**
 * The broker topology as the services would declare it from the same environment: what
 * `npm run migrate` and `npm start` bring the broker to before any service runs.
 */

/** The variables the topology depends on, read as the services read them. */
const topologyConfigSchema = z.object({
  RABBITMQ_URL: baseConfigShape.RABBITMQ_URL,
  CONSUMER_PREFETCH: baseConfigShape.CONSUMER_PREFETCH,
  CONSUMER_MAX_ATTEMPTS: baseConfigShape.CONSUMER_MAX_ATTEMPTS,
  CONSUMER_RETRY_BASE_MS: baseConfigShape.CONSUMER_RETRY_BASE_MS,
  CONSUMER_RETRY_MAX_MS: baseConfigShape.CONSUMER_RETRY_MAX_MS,
  CONSUMER_DELIVERY_LIMIT: baseConfigShape.CONSUMER_DELIVERY_LIMIT,
});

/** The topology options (delay queues, delivery limit) of services started with `env`. */
export function topologyOptions(env: NodeJS.ProcessEnv): TopologyOptions {
  return consumerOptions(configuredConsumerOptions(loadConfig(topologyConfigSchema, env)));
}

/**
 * Declares every exchange, queue and binding of the platform on `env`'s RABBITMQ_URL,
 * migrating the queues of older versions (classic queues, another delivery limit) without
 * losing a message. Only while nothing consumes: a queue with consumers is refused.
 */
export async function declareBrokerTopology(
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<void> {
  const { RABBITMQ_URL } = loadConfig(topologyConfigSchema, env);
  const migrated = await migratePlatformTopology(RABBITMQ_URL, topologyOptions(env), say);
  say(
    `every queue and binding is declared${migrated.length > 0 ? ` (${migrated.length} queue(s) migrated)` : ''}`,
  );
}
