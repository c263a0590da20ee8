import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Inject } from '@nestjs/common';
import {
  CLOCK,
  Clock,
  Connection,
  NotFoundError,
  requireIdentity,
  requireRole,
  toConnection,
  validateInput,
} from '@servicedesk/platform';
import type { Notification } from './notification';
import { decodeNotificationCursor, encodeNotificationCursor } from './notification-cursor';
import { myNotificationsArgs, notificationArgs, notificationsArgs } from './notification.inputs';
import { NotificationFilter, NotificationRepository } from './notification.repository';

const cursorOf = (n: Notification) => encodeNotificationCursor(n);

/** People's own notifications: their inbox, what is unread, marking read. */
@Resolver('Notification')
export class NotificationResolver {
  constructor(
    private readonly notifications: NotificationRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query('myNotifications')
  async myNotifications(@Args() args: unknown): Promise<Connection<Notification>> {
    const identity = requireIdentity();
    const { unreadOnly, channel, first, after } = validateInput(myNotificationsArgs, args);
    return this.page(
      { recipientId: identity.userId, unreadOnly, channel: channel ?? undefined },
      first,
      after,
    );
  }

  @Query('unreadNotificationCount')
  unreadNotificationCount(): Promise<number> {
    return this.notifications.unreadCount(requireIdentity().userId);
  }

  /** Operators look for failed deliveries here. */
  @Query('notifications')
  async allNotifications(@Args() args: unknown): Promise<Connection<Notification>> {
    requireRole('ADMIN');
    const { filter, first, after } = validateInput(notificationsArgs, args);
    return this.page(
      {
        recipientId: filter?.recipientId ?? undefined,
        status: filter?.status ?? undefined,
        channel: filter?.channel ?? undefined,
      },
      first,
      after,
    );
  }

  @Mutation('markNotificationRead')
  async markNotificationRead(@Args() args: unknown): Promise<Notification> {
    const identity = requireIdentity();
    const { id } = validateInput(notificationArgs, args);
    const notification = await this.notifications.markRead(identity.userId, id, this.clock.now());
    // Someone else's notification does not exist for the caller.
    if (!notification) throw new NotFoundError('Notification', id);
    return notification;
  }

  @Mutation('markAllNotificationsRead')
  markAllNotificationsRead(): Promise<number> {
    return this.notifications.markAllRead(requireIdentity().userId, this.clock.now());
  }

  @ResolveField('recipient')
  recipient(@Parent() notification: Notification): { __typename: 'User'; id: string } {
    return { __typename: 'User', id: notification.recipientId };
  }

  private async page(
    filter: NotificationFilter,
    first: number,
    after: string | null | undefined,
  ): Promise<Connection<Notification>> {
    const rows = await this.notifications.findPage({
      filter,
      limit: first,
      ...(after != null ? { after: decodeNotificationCursor(after) } : {}),
    });
    return toConnection(rows, first, cursorOf);
  }
}
