import { Module } from '@nestjs/common';
import { DateTimeScalar } from '@servicedesk/platform';
import { NotificationResolver } from './notification.resolver';
import { NotificationRepository } from './notification.repository';

/** Stored notifications and people's inbox. */
@Module({
  providers: [NotificationRepository, NotificationResolver, DateTimeScalar],
  exports: [NotificationRepository],
})
export class InboxModule {}
