import { DynamicModule, Module } from '@nestjs/common';
import { Clock, Logger, TextLimits } from '@servicedesk/platform';
import { SubgraphModule } from '@servicedesk/messaging';
import type { NotificationConfig } from './config';
import { CoreModule } from './core.module';
import { createNotificationDataSource } from './data-source';
import { NOTIFICATION_SCHEMA } from './database/tables';
import { DeliveryModule } from './delivery/delivery.module';
import { InboxModule } from './inbox/inbox.module';
import { NOTIFICATION_TEXT_LIMITS } from './inbox/notification.inputs';
import { notificationSubscriptions } from './notification.subscriptions';
import { PREFERENCES_TEXT_LIMITS } from './preferences/preferences.inputs';
import { PreferencesModule } from './preferences/preferences.module';

export const SERVICE_NAME = 'notification';

export interface AppModuleOptions {
  logger: Logger;
  clock: Clock;
}

/** The longest text each argument and input field of the notification API takes (README, Input limits). */
export const notificationTextLimits: TextLimits = {
  ...NOTIFICATION_TEXT_LIMITS,
  ...PREFERENCES_TEXT_LIMITS,
};

/** The notification subgraph: who is told what, in-app and by email. */
@Module({})
export class AppModule {
  static forRoot(config: NotificationConfig, options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SubgraphModule.forRoot({
          service: SERVICE_NAME,
          schema: NOTIFICATION_SCHEMA,
          config,
          logger: options.logger,
          dataSource: (deps) => createNotificationDataSource(config, deps),
          schemaDir: __dirname,
          subscriptions: notificationSubscriptions,
          textLimits: notificationTextLimits,
        }),
        CoreModule.forRoot(config, options.clock),
        InboxModule,
        PreferencesModule,
        DeliveryModule,
      ],
    };
  }
}
