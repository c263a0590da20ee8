import { Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module';
import { InboxModule } from '../inbox/inbox.module';
import { PreferencesModule } from '../preferences/preferences.module';
import { EmailDelivery } from './email-delivery.service';
import { EmailReleaseLoop } from './email-release.loop';
import { Mailer } from './mailer';
import { NotificationAdminResolver } from './notification-admin.resolver';
import { NotificationEventsHandler } from './notification-events.handler';
import { NotificationMetrics } from './notification-metrics';
import { NotificationPlanner } from './notification-planner';
import { NotificationRetry } from './notification-retry.service';

/** From events to notifications, and emails out through SMTP. */
@Module({
  imports: [DirectoryModule, PreferencesModule, InboxModule],
  providers: [
    Mailer,
    NotificationMetrics,
    EmailDelivery,
    NotificationPlanner,
    NotificationEventsHandler,
    EmailReleaseLoop,
    NotificationRetry,
    NotificationAdminResolver,
  ],
  exports: [NotificationEventsHandler, EmailReleaseLoop],
})
export class DeliveryModule {}
