import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { requireRole, validateInput } from '@servicedesk/platform';
import type { Notification } from '../inbox/notification';
import { notificationArgs } from '../inbox/notification.inputs';
import { NotificationRetry } from './notification-retry.service';

/** Operations on deliveries. Admins only. */
@Resolver('Notification')
export class NotificationAdminResolver {
  constructor(private readonly retries: NotificationRetry) {}

  @Mutation('retryNotification')
  async retryNotification(@Args() args: unknown): Promise<Notification> {
    requireRole('ADMIN');
    const { id } = validateInput(notificationArgs, args);
    return this.retries.retry(id);
  }
}
