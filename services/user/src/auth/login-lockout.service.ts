import { Inject, Injectable } from '@nestjs/common';
import { LessThanOrEqual } from 'typeorm';
import { Tx } from '@servicedesk/messaging';
import { UserEntity } from '../users/user.entity';
import { LoginFailureEntity } from './login-failure.entity';
import { LockoutPolicy, failureWindowStart, lockAfterFailure } from './lockout-policy';

export const LOCKOUT_POLICY = Symbol('LOCKOUT_POLICY');

/**
 * Stores failed logins and the lock they lead to. Called inside the login transaction,
 * with the account row locked, so concurrent failures are all counted.
 */
@Injectable()
export class LoginLockout {
  constructor(@Inject(LOCKOUT_POLICY) private readonly policy: LockoutPolicy) {}

  /** Records a failed login at `now`; returns the time the account is now locked until, or null. */
  async recordFailure(tx: Tx, user: UserEntity, now: Date): Promise<Date | null> {
    const failures = tx.manager.getRepository(LoginFailureEntity);
    await failures.delete({
      userId: user.id,
      attemptedAt: LessThanOrEqual(failureWindowStart(this.policy, now)),
    });
    await failures.insert({ userId: user.id, attemptedAt: now });
    const recent = await failures.find({
      select: { attemptedAt: true },
      where: { userId: user.id },
    });
    const lockedUntil = lockAfterFailure(
      this.policy,
      recent.map((failure) => failure.attemptedAt),
      user.lockedUntil,
      now,
    );
    if (lockedUntil)
      await tx.manager.getRepository(UserEntity).update({ id: user.id }, { lockedUntil });
    return lockedUntil;
  }

  /** A successful login starts the count afresh. */
  async reset(tx: Tx, userId: string): Promise<void> {
    await tx.manager.getRepository(LoginFailureEntity).delete({ userId });
  }
}
