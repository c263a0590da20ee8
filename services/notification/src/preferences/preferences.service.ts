import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, Clock, ForbiddenError } from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { NotificationPreferences } from './preferences';
import type { UpdatePreferencesArgs } from './preferences.inputs';
import { PreferencesRepository } from './preferences.repository';

/** Reads and changes one person's preferences. Input arrives validated. */
@Injectable()
export class PreferencesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly repository: PreferencesRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get(userId: string): Promise<NotificationPreferences> {
    return this.repository.find(this.dataSource.manager, userId);
  }

  /** Applies the listed changes over the current choices; concurrent updates serialise on the row. */
  async update(userId: string, { input }: UpdatePreferencesArgs): Promise<NotificationPreferences> {
    return this.unitOfWork.run(async (tx) => {
      const now = this.clock.now();
      const preferences = await this.repository.findForUpdate(tx.manager, userId, now);
      if (!preferences) throw new ForbiddenError('This account has been erased');
      for (const { category, email, inApp } of input.categories) {
        const current = preferences.categories[category];
        preferences.categories[category] = {
          email: email ?? current.email,
          inApp: inApp ?? current.inApp,
        };
      }
      if (input.quietHours !== undefined) preferences.quietHours = input.quietHours;
      await this.repository.save(tx.manager, userId, preferences, now);
      return preferences;
    });
  }
}
