export * from './unit-of-work';
export * from './subscription';
export * from './errors';
export * from './messaging.module';
export * from './messaging.options';
export * from './messaging.runtime';
export * from './messaging-operations';
export * from './operations.graphql';
export { messagingMigration } from './messaging.migration';
export { OutboxMessage, OutboxStatus } from './outbox-message.entity';
export { InboxMessage } from './inbox-message.entity';
export { SubscriptionRecord } from './subscription-record.entity';
export { NewEvent, buildEnvelope } from './envelope';
export { BackoffPolicy, backoffDelayMs } from './backoff';
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

import { InboxMessage } from './inbox-message.entity';
import { OutboxMessage } from './outbox-message.entity';
import { SubscriptionRecord } from './subscription-record.entity';

/** The messaging entities every service lists in its DataSource (their schema comes from it). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const messagingEntities: Function[] = [OutboxMessage, InboxMessage, SubscriptionRecord];
export * from './subgraph.module';
