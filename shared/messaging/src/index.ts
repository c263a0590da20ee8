export * from './unit-of-work';
export * from './subscription';
export * from './subscription-registry';
export * from './errors';
export * from './messaging.module';
export * from './messaging.options';
export * from './messaging.runtime';
export * from './messaging-operations';
export * from './operations.graphql';
export { messagingMigration } from './messaging.migration';
export { NewEvent, buildEnvelope } from './envelope';
export { BackoffPolicy, backoffDelayMs } from './backoff';
export { brokerDependency } from './broker-connection';
export * from './options';
export { MessagingMetrics } from './metrics';
export { OutboxRelay, OutboxRelayDependencies } from './outbox-relay';
export { EventConsumer, EventConsumerDependencies } from './event-consumer';
export * from './outbox-operations';
export * from './dead-letter-operations';
export {
  EVENTS_EXCHANGE,
  retryQueueName,
  deadLetterQueueName,
  workQueueOf,
  Headers as MessageHeaders,
} from './topology';
export * from './topology-plan';
export { TopologyConflictError, declareTopology } from './topology-declaration';
export {
  MigratedQueue,
  migratePlatformTopology,
  migrateTopology,
  migrationQueueName,
} from './queue-migration';

export * from './subgraph.module';
