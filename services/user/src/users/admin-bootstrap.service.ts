import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LOGGER, Logger } from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { USER_CONFIG, UserConfig } from '../config';
import { PasswordHasher } from './password-hasher';
import { UsersService } from './users.service';

const ADMIN_NAME = 'Administrator';
const ADMIN_TIME_ZONE = 'UTC';

/**
 * Makes sure the first administrator (ADMIN_EMAIL / ADMIN_PASSWORD) exists when the service
 * starts. Safe with several replicas starting at once: the insert does nothing when the
 * email exists, and `user.registered` is emitted only by the replica whose insert won. An
 * existing account is never changed — not its password, not its role.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  constructor(
    @Inject(USER_CONFIG) private readonly config: UserConfig,
    private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = this.config.ADMIN_EMAIL;
    const existing = await this.users.findByEmail(this.dataSource.manager, email);
    if (existing) {
      if (existing.role !== 'ADMIN') {
        this.logger.warn(
          { adminUserId: existing.id, role: existing.role },
          'ADMIN_EMAIL belongs to an account that is not an admin; left unchanged',
        );
      }
      return;
    }
    const passwordHash = await this.hasher.hash(this.config.ADMIN_PASSWORD);
    const created = await this.unitOfWork.run((tx) =>
      this.users.createAccount(
        tx,
        { email, name: ADMIN_NAME, timeZone: ADMIN_TIME_ZONE, role: 'ADMIN', passwordHash },
        'system',
      ),
    );
    if (created)
      this.logger.info({ adminUserId: created.id }, 'first administrator created from ADMIN_EMAIL');
  }
}
