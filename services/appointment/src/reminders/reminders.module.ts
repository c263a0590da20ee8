import { Module } from '@nestjs/common';
import { ReminderDetector } from './reminder.detector';
import { Reminders } from './reminders.service';

/** Reminders before each appointment: planned at booking, emitted once when due. */
@Module({
  providers: [Reminders, ReminderDetector],
  exports: [Reminders, ReminderDetector],
})
export class RemindersModule {}
