import {
  NOTIFICATION_CATEGORIES,
  NotificationCategory,
  NotificationChannel,
  isMandatoryEmail,
} from '../rules/categories';
import type { QuietHours } from './quiet-hours';

export interface ChannelChoice {
  email: boolean;
  inApp: boolean;
}

/** A person's choices; without any, everything is on and there are no quiet hours. */
export interface NotificationPreferences {
  categories: Record<NotificationCategory, ChannelChoice>;
  quietHours: QuietHours | null;
}

export function defaultPreferences(): NotificationPreferences {
  return {
    categories: Object.fromEntries(
      NOTIFICATION_CATEGORIES.map((category) => [category, { email: true, inApp: true }]),
    ) as Record<NotificationCategory, ChannelChoice>,
    quietHours: null,
  };
}

/** Stored choices over the defaults; a category stored before it existed is ignored. */
export function withDefaults(
  stored: Partial<Record<string, Partial<ChannelChoice>>>,
  quietHours: QuietHours | null,
): NotificationPreferences {
  const preferences = defaultPreferences();
  for (const category of NOTIFICATION_CATEGORIES) {
    preferences.categories[category] = { ...preferences.categories[category], ...stored[category] };
  }
  preferences.quietHours = quietHours;
  return preferences;
}

/** The channels a notification of `category` goes out on for someone with `preferences`. */
export function channelsFor(
  preferences: NotificationPreferences,
  category: NotificationCategory,
): NotificationChannel[] {
  const choice = preferences.categories[category];
  return [
    ...(choice.inApp ? (['IN_APP'] as const) : []),
    ...(choice.email || isMandatoryEmail(category) ? (['EMAIL'] as const) : []),
  ];
}
