import { Inject, Injectable } from '@nestjs/common';
import { aggregateTypeOf } from '@servicedesk/contracts';
import { CLOCK, Clock, LOGGER, Logger, NotFoundError } from '@servicedesk/platform';
import { UnitOfWork } from '@servicedesk/messaging';
import { LoginLockout } from '../auth/login-lockout.service';
import { RefreshTokens } from '../auth/refresh-tokens.service';
import { UsersService } from '../users/users.service';

/** The GraphQL `ErasedUser`. */
export interface ErasedUser {
  userId: string;
  erasedAt: Date;
}

const USER_AGGREGATE = aggregateTypeOf('user.erased');

/**
 * Erases an account: its personal data, its ways in, and the copies of its data this service
 * still keeps in published outbox rows, all in one transaction with `user.erased` (from
 * which every other service forgets the person). Erasing an erased account changes nothing.
 */
@Injectable()
export class UserErasure {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly users: UsersService,
    private readonly refreshTokens: RefreshTokens,
    private readonly lockout: LoginLockout,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `actorId` erases `userId`: themself, or anyone when they are an admin (checked again here). */
  async erase(actorId: string, userId: string): Promise<ErasedUser> {
    return this.unitOfWork.run(async (tx) => {
      await this.users.lockAdminRoster(tx);
      if (actorId !== userId) {
        await this.users.requireCurrentAdmin(tx.manager, actorId, "erase other people's accounts");
      }
      const user = await this.users.findById(tx.manager, userId, { lock: true });
      if (!user) throw new NotFoundError('User', userId);
      if (user.erasedAt) return { userId, erasedAt: user.erasedAt };
      await this.users.requireAnotherAdmin(
        tx.manager,
        user,
        'the last admin cannot be erased; make another user an admin first',
      );

      const erasedAt = this.clock.now();
      await this.users.anonymize(tx, userId, erasedAt);
      const revokedTokens = await this.refreshTokens.revokeAllOf(tx, userId);
      await this.lockout.forgetFailures(tx, userId);
      await tx.emit({ type: 'user.erased', aggregateId: userId, payload: { userId } });
      // user.registered carried the email and name: its delivered copy must not outlive them.
      const forgottenEvents = await tx.forgetPublishedEvents(USER_AGGREGATE, userId);
      this.logger.info(
        { erasedUserId: userId, revokedTokens, forgottenEvents, bySelf: actorId === userId },
        'user erased',
      );
      return { userId, erasedAt };
    });
  }
}
