import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ConflictError,
  LOGGER,
  Logger,
  UnauthenticatedError,
  CLOCK,
  Clock,
} from '@servicedesk/platform';
import { Tx, UnitOfWork } from '@servicedesk/messaging';
import { PasswordHasher } from '../users/password-hasher';
import { UserEntity } from '../users/user.entity';
import { RegisterInput } from '../users/user.inputs';
import { UserView, ownerView } from '../users/user-view';
import { UsersService } from '../users/users.service';
import { AccessTokenSigner } from './access-tokens';
import { AuthMetrics } from './auth-metrics';
import { isLocked } from './lockout-policy';
import { LoginLockout } from './login-lockout.service';
import { RefreshTokens } from './refresh-tokens.service';

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserView;
}

/**
 * Thrown for a wrong email, a wrong password and a locked account alike: none can be told
 * apart, so no answer says whether an account exists.
 */
const INVALID_CREDENTIALS = 'invalid email or password';
const INVALID_REFRESH_TOKEN = 'invalid or expired refresh token, sign in again';
export const LOGIN_FAILED_MESSAGE = 'login failed';

/**
 * Failed logins for an unknown email are grouped by a digest of the address, never the address
 * itself: repeated attempts against one address show up together, and the log holds no email.
 */
export function emailDigest(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 16);
}

/**
 * How a login attempt starts, decided in a short transaction whose writes must be kept even
 * when the attempt then fails, so failures are returned rather than thrown.
 */
type LoginAttempt =
  | { result: 'unknown-email' }
  | { result: 'locked'; userId: string; lockedUntil: Date }
  /** Counted as a failure already; `lockedUntil` is the lock that counting it set, if any. */
  | { result: 'check-password'; user: UserEntity; lockedUntil: Date | null };

/** Sign-up, sign-in, token refresh and sign-out. */
@Injectable()
export class AuthService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly lockout: LoginLockout,
    private readonly refreshTokens: RefreshTokens,
    private readonly accessTokens: AccessTokenSigner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: AuthMetrics,
  ) {}

  /** Creates a CUSTOMER, emits `user.registered` and signs the new user in, all in one transaction. */
  async register(input: RegisterInput): Promise<AuthPayload> {
    const passwordHash = await this.hasher.hash(input.password);
    const { user, refreshToken } = await this.unitOfWork.run(async (tx) => {
      const created = await this.users.createAccount(
        tx,
        {
          email: input.email,
          name: input.name,
          timeZone: input.timeZone,
          role: 'CUSTOMER',
          passwordHash,
        },
        'self',
      );
      if (!created) throw new ConflictError('an account with this email already exists');
      const issued = await this.refreshTokens.issue(tx, created.id);
      return { user: created, refreshToken: issued.token };
    });
    this.logger.info({ registeredUserId: user.id }, 'user registered');
    return this.payload(user, refreshToken);
  }

  /**
   * Checks the password and starts a new token family. Argon2 runs outside any transaction,
   * so slow hashing never holds a pooled connection or the account row lock; the attempt is
   * counted as a failure before the check (see `LoginLockout`) and forgiven if it succeeds.
   */
  async login(email: string, password: string): Promise<AuthPayload> {
    const attempt = await this.unitOfWork.run((tx) => this.startAttempt(tx, email));
    if (attempt.result === 'unknown-email') {
      await this.hasher.verifyNothing(password);
      this.logger.info(
        { reason: 'unknown_email', emailDigest: emailDigest(email) },
        LOGIN_FAILED_MESSAGE,
      );
      this.metrics.loginFailed('unknown_email');
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    if (attempt.result === 'locked') {
      // Costs what checking a password costs, so timing does not tell a lock either.
      await this.hasher.verifyNothing(password);
      this.logger.warn(
        { userId: attempt.userId, lockedUntil: attempt.lockedUntil.toISOString() },
        'login refused: account locked',
      );
      this.metrics.loginFailed('locked');
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    const { user, lockedUntil } = attempt;
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      this.logger.info({ userId: user.id, reason: 'wrong_password' }, LOGIN_FAILED_MESSAGE);
      this.metrics.loginFailed('wrong_password');
      if (lockedUntil) {
        this.metrics.accountLocked();
        this.logger.warn(
          { userId: user.id, lockedUntil: lockedUntil.toISOString() },
          'account locked after too many failed logins',
        );
      }
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    const upgradedHash = this.hasher.needsRehash(user.passwordHash)
      ? await this.hasher.hash(password)
      : null;
    const signedIn = await this.unitOfWork.run(async (tx) => {
      const current = await this.users.findById(tx.manager, user.id, { lock: true });
      // Erased while the password was being checked: the account is gone for good.
      if (!current || current.erasedAt) return null;
      await this.lockout.recordSuccess(tx, user.id, lockedUntil);
      if (upgradedHash) await this.users.setPasswordHash(tx, user.id, upgradedHash);
      const issued = await this.refreshTokens.issue(tx, user.id);
      return { user: current, refreshToken: issued.token };
    });
    if (!signedIn) throw new UnauthenticatedError(INVALID_CREDENTIALS);
    return this.payload(signedIn.user, signedIn.refreshToken);
  }

  /** Rotates the refresh token; reuse of a rotated one revokes its family (kept even though the call fails). */
  async refresh(refreshToken: string): Promise<AuthPayload> {
    const outcome = await this.unitOfWork.run(async (tx) => {
      // The account is held before the token, in the order an erasure locks them (the other
      // order deadlocks with it): an erasure then either waits for this rotation and revokes
      // the successor too, or has committed and the rotation below sees it.
      const ownerId = await this.refreshTokens.ownerOf(tx, refreshToken);
      if (ownerId) await this.users.findById(tx.manager, ownerId, { lock: 'share' });
      const rotation = await this.refreshTokens.rotate(tx, refreshToken);
      if (rotation.action !== 'rotate') return rotation;
      const user = await this.users.findById(tx.manager, rotation.userId);
      // Thrown, not returned, so the successor token just issued is rolled back with it.
      if (!user || user.erasedAt) throw new UnauthenticatedError(INVALID_REFRESH_TOKEN);
      return { ...rotation, user };
    });
    if (outcome.action === 'rotate') return this.payload(outcome.user, outcome.refreshToken);
    if (outcome.action === 'revoke-family') {
      this.logger.warn(
        { userId: outcome.userId, familyId: outcome.familyId },
        'refresh token reused: its whole family was revoked, a copy of the token may have been stolen',
      );
    }
    throw new UnauthenticatedError(INVALID_REFRESH_TOKEN);
  }

  /** Ends the sign-in `refreshToken` belongs to (every token of its family). */
  logout(refreshToken: string): Promise<boolean> {
    return this.unitOfWork.run((tx) => this.refreshTokens.revokeFamilyOf(tx, refreshToken));
  }

  /** With the account row locked, so that parallel attempts are counted one after the other. */
  private async startAttempt(tx: Tx, email: string): Promise<LoginAttempt> {
    const user = await this.users.findByEmail(tx.manager, email, {
      withPassword: true,
      lock: true,
    });
    // An erased account counts no failures: it is answered like an email nobody has.
    if (!user || user.erasedAt) return { result: 'unknown-email' };
    const now = this.clock.now();
    if (user.lockedUntil && isLocked(user.lockedUntil, now)) {
      return { result: 'locked', userId: user.id, lockedUntil: user.lockedUntil };
    }
    const lockedUntil = await this.lockout.recordAttempt(tx, user, now);
    return { result: 'check-password', user, lockedUntil };
  }

  private async payload(user: UserEntity, refreshToken: string): Promise<AuthPayload> {
    const { token, expiresIn } = await this.accessTokens.sign(user);
    return { accessToken: token, refreshToken, expiresIn, user: ownerView(user) };
  }
}
