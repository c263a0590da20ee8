import { Inject, Injectable } from '@nestjs/common';
import { LessThanOrEqual } from 'typeorm';
import { Tx } from '@servicedesk/messaging';
import { UserEntity } from '../users/user.entity';
import { LoginFailureEntity } from './login-failure.entity';
import { LockoutPolicy, failureWindowStart, lockAfterFailure } from './lockout-policy';

export const LOCKOUT_POLICY = Symbol('LOCKOUT_POLICY');

/**
 * Stores failed logins and the lock they lead to. A login attempt counts as a failure from
 * the moment it starts, in a short transaction with the account row locked, and before its
 * password is checked outside any transaction: however many guesses run at once, at most
 * `maxFailures` of them are let through to the check before the account locks.
 */
@Injectable()
export class LoginLockout {
  constructor(@Inject(LOCKOUT_POLICY) private readonly policy: LockoutPolicy) {}

  /**
   * Records an attempt at `now` as a failure until `recordSuccess` says otherwise. Returns
   * the time the account is now locked until, or null. The caller holds the account row lock.
   */
  async recordAttempt(tx: Tx, user: UserEntity, now: Date): Promise<Date | null> {
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

  /**
   * The attempt had the right password, so it was no failure: the count starts afresh, and
   * the lock the attempt set as the last failure allowed (`lockedByAttempt`) is lifted. A lock
   * set by another attempt stays.
   */
  async recordSuccess(tx: Tx, userId: string, lockedByAttempt: Date | null): Promise<void> {
    await this.forgetFailures(tx, userId);
    if (lockedByAttempt) {
      await tx.manager
        .getRepository(UserEntity)
        .update({ id: userId, lockedUntil: lockedByAttempt }, { lockedUntil: null });
    }
  }

  /** Drops every recorded failure of the account (on erasure: they describe its owner's logins). */
  async forgetFailures(tx: Tx, userId: string): Promise<void> {
    await tx.manager.getRepository(LoginFailureEntity).delete({ userId });
  }
}
