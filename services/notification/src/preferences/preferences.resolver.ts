import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { requireIdentity, validateInput } from '@servicedesk/platform';
import { RecipientDirectory } from '../directory/recipient-directory.service';
import {
  NOTIFICATION_CATEGORIES,
  NotificationCategory,
  isMandatoryEmail,
} from '../rules/categories';
import { NotificationPreferences } from './preferences';
import { updatePreferencesArgs } from './preferences.inputs';
import { PreferencesService } from './preferences.service';
import { formatClockTime } from './quiet-hours';

/** The GraphQL shape of `NotificationPreferences`. */
export interface PreferencesView {
  categories: Array<{
    category: NotificationCategory;
    email: boolean;
    inApp: boolean;
    emailOptional: boolean;
  }>;
  quietHours: { start: string; end: string } | null;
  timeZone: string | null;
}

export function toPreferencesView(
  preferences: NotificationPreferences,
  timeZone: string | null,
): PreferencesView {
  return {
    categories: NOTIFICATION_CATEGORIES.map((category) => ({
      category,
      ...preferences.categories[category],
      emailOptional: !isMandatoryEmail(category),
    })),
    quietHours: preferences.quietHours && {
      start: formatClockTime(preferences.quietHours.start),
      end: formatClockTime(preferences.quietHours.end),
    },
    timeZone,
  };
}

/** Everyone manages their own preferences, and only their own. */
@Resolver('NotificationPreferences')
export class PreferencesResolver {
  constructor(
    private readonly preferences: PreferencesService,
    private readonly directory: RecipientDirectory,
    private readonly dataSource: DataSource,
  ) {}

  @Query('notificationPreferences')
  async notificationPreferences(): Promise<PreferencesView> {
    const { userId } = requireIdentity();
    return this.view(userId, await this.preferences.get(userId));
  }

  @Mutation('updateNotificationPreferences')
  async updateNotificationPreferences(@Args() args: unknown): Promise<PreferencesView> {
    const { userId } = requireIdentity();
    const input = validateInput(updatePreferencesArgs, args);
    return this.view(userId, await this.preferences.update(userId, input));
  }

  private async view(
    userId: string,
    preferences: NotificationPreferences,
  ): Promise<PreferencesView> {
    const timeZone = await this.directory.timeZoneOf(this.dataSource.manager, userId);
    return toPreferencesView(preferences, timeZone);
  }
}
