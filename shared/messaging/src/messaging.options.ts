import { InjectionToken } from '@nestjs/common';
import { SubscriptionRegistry } from '@servicedesk/contracts';
import { PartialConsumerOptions, PartialRelayOptions } from './options';
import { SubscriptionDeclaration } from './subscription';

export interface MessagingModuleOptions {
  /** The service name: `source` of its events, label of its logs. */
  service: string;
  /** The service's PostgreSQL schema (holds outbox, inbox, subscriptions). */
  schema: string;
  rabbitmqUrl: string;
  /**
   * Everything this service reacts to, in one place: each of its queues in `registry` with its
   * handler class (a provider of its feature module).
   */
  subscriptions?: SubscriptionDeclaration<string>[];
  /** The queues of the platform and their events: `SUBSCRIPTIONS` unless a test brings its own. */
  registry?: SubscriptionRegistry;
  /** Token of the service's initialized TypeORM DataSource; defaults to the `DataSource` class. */
  dataSource?: InjectionToken;
  relay?: PartialRelayOptions;
  consumer?: PartialConsumerOptions;
}

export const MESSAGING_OPTIONS: unique symbol = Symbol('servicedesk.messaging-options');
