/** What other packages (the end-to-end stack, tools) use to run the notification service in-process. */
export { createNotificationApp } from './app';
export type { NotificationAppOptions } from './app';
export { loadNotificationConfig } from './config';
export type { NotificationConfig } from './config';
export { migrateNotificationDatabase } from './migrate';
export { notificationTextLimits } from './app.module';
