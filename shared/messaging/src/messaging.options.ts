import { InjectionToken } from '@nestjs/common';
import { PartialConsumerOptions, PartialRelayOptions } from './options';
import { SubscriptionDeclaration } from './subscription';

export interface MessagingModuleOptions {
  /** The service name: `source` of its events, label of its logs. */
  service: string;
  /** The service's PostgreSQL schema (holds outbox, inbox, subscriptions). */
  schema: string;
  rabbitmqUrl: string;
  /** Everything this service reacts to, in one place. Handler classes are providers of their feature modules. */
  subscriptions?: SubscriptionDeclaration[];
  /** Token of the service's initialized TypeORM DataSource; defaults to the `DataSource` class. */
  dataSource?: InjectionToken;
  relay?: PartialRelayOptions;
  consumer?: PartialConsumerOptions;
}

export const MESSAGING_OPTIONS: unique symbol = Symbol('servicedesk.messaging-options');
