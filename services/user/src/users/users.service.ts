import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { Role } from '@servicedesk/contracts';
import {
  ConflictError,
  Connection,
  ForbiddenError,
  LOGGER,
  Logger,
  NotFoundError,
  toConnection,
  CLOCK,
  Clock,
} from '@servicedesk/platform';
import { Tx, UnitOfWork } from '@servicedesk/messaging';
import { ERASED_NAME, ERASED_PASSWORD_HASH, ERASED_TIME_ZONE, erasedEmail } from './erased-account';
import { UserEntity } from './user.entity';
import { UserCursor, encodeUserCursor } from './user-cursor';

export interface NewAccount {
  email: string;
  name: string;
  timeZone: string;
  role: Role;
  passwordHash: string;
}

export type UserPage = Connection<UserEntity>;

/** Advisory lock key of `lockAdminRoster`; fixed, every replica must use the same one. */
const ADMIN_ROSTER_LOCK = 'user.role-change';

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The users with these ids, in the order asked, null where there is none (for DataLoader). */
  async findByIds(ids: readonly string[]): Promise<Array<UserEntity | null>> {
    const users = await this.dataSource.getRepository(UserEntity).findBy({ id: In([...ids]) });
    const byId = new Map(users.map((user) => [user.id, user]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** `lock`: true locks the row for update, 'share' only against updates (FOR SHARE). */
  findById(
    manager: EntityManager,
    id: string,
    options: { lock?: boolean | 'share' } = {},
  ): Promise<UserEntity | null> {
    const mode = options.lock === 'share' ? 'pessimistic_read' : 'pessimistic_write';
    return manager.getRepository(UserEntity).findOne({
      where: { id },
      lock: options.lock ? { mode } : undefined,
    });
  }

  /** The account with this email in any letter case; with its password hash only when asked. */
  findByEmail(
    manager: EntityManager,
    email: string,
    options: { withPassword?: boolean; lock?: boolean } = {},
  ): Promise<UserEntity | null> {
    const query = manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email });
    if (options.withPassword) query.addSelect('u.passwordHash');
    if (options.lock) query.setLock('pessimistic_write');
    return query.getOne();
  }

  /** Accounts in creation order; erased ones are left out (they can no longer do anything). */
  async list(args: {
    first: number;
    after: UserCursor | null;
    role: Role | null;
  }): Promise<UserPage> {
    const query = this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .orderBy('u.createdAt', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .where('u.erasedAt IS NULL')
      .limit(args.first + 1);
    if (args.role) query.andWhere('u.role = :role', { role: args.role });
    if (args.after) {
      query.andWhere('(u.createdAt, u.id) > (:createdAt, :id)', {
        createdAt: args.after.createdAt,
        id: args.after.id,
      });
    }
    return toConnection(await query.getMany(), args.first, encodeUserCursor);
  }

  /**
   * Creates an account and emits `user.registered` in the caller's transaction, with the new
   * user as actor when they signed up themselves (`self`). Returns null, writing nothing,
   * when the email is already taken in any letter case, also by a concurrent transaction.
   */
  async createAccount(
    tx: Tx,
    account: NewAccount,
    createdBy: 'self' | 'system',
  ): Promise<UserEntity | null> {
    const now = this.clock.now();
    const user: UserEntity = {
      id: randomUUID(),
      ...account,
      lockedUntil: null,
      erasedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const inserted: Array<{ id: string }> = await tx.manager.query(
      `INSERT INTO "user"."users" ("id", "email", "name", "role", "time_zone", "password_hash", "created_at", "updated_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
       ON CONFLICT ((lower("email"))) DO NOTHING
       RETURNING "id"`,
      [user.id, user.email, user.name, user.role, user.timeZone, user.passwordHash, now],
    );
    if (inserted.length === 0) return null;
    await tx.emit({
      type: 'user.registered',
      aggregateId: user.id,
      payload: {
        userId: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        timeZone: user.timeZone,
      },
      actor: createdBy === 'self' ? { id: user.id, role: user.role } : null,
    });
    return user;
  }

  async setPasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
    await tx.manager
      .getRepository(UserEntity)
      .update({ id: userId }, { passwordHash, updatedAt: this.clock.now() });
  }

  /**
   * Has the admin `actorId` give a user another role and emits `user.role_changed`; setting
   * the role a user already has changes nothing. Refuses to demote the last admin, and to
   * change the role of an erased account (CONFLICT).
   */
  async setRole(actorId: string, userId: string, role: Role): Promise<UserEntity> {
    return this.unitOfWork.run(async (tx) => {
      await this.lockAdminRoster(tx);
      await this.requireCurrentAdmin(tx.manager, actorId, 'change roles');
      const users = tx.manager.getRepository(UserEntity);
      const user = await users.findOneBy({ id: userId });
      if (!user) throw new NotFoundError('User', userId);
      // An erased account can do nothing; as an admin it would also count towards "another
      // admin is left" and let the last one who can sign in go.
      if (user.erasedAt) throw new ConflictError('an erased account cannot be given a role');
      if (user.role === role) return user;
      await this.requireAnotherAdmin(
        tx.manager,
        user,
        'the last admin cannot lose the ADMIN role; make another user an admin first',
      );
      const previousRole = user.role;
      const updatedAt = this.clock.now();
      await users.update({ id: userId }, { role, updatedAt });
      await tx.emit({
        type: 'user.role_changed',
        aggregateId: userId,
        payload: { userId, previousRole, role },
      });
      this.logger.info({ targetUserId: userId, previousRole, role }, 'user role changed');
      return { ...user, role, updatedAt };
    });
  }

  /**
   * Serialises everything that can take the ADMIN role away (role changes, erasures) until
   * the transaction ends, so two admins demoting or erasing each other cannot both see
   * "another admin is left".
   */
  async lockAdminRoster(tx: Tx): Promise<void> {
    await tx.manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [ADMIN_ROSTER_LOCK]);
  }

  /**
   * FORBIDDEN unless `actorId` is an admin right now. The role is read again here, not taken
   * from the access token: an admin demoted a minute ago still holds a token that says ADMIN
   * until it expires.
   */
  async requireCurrentAdmin(
    manager: EntityManager,
    actorId: string,
    action: string,
  ): Promise<void> {
    const actor = await manager
      .getRepository(UserEntity)
      .findOne({ select: { role: true }, where: { id: actorId } });
    if (actor?.role !== 'ADMIN') {
      throw new ForbiddenError(`only admins may ${action}, and your account is no longer an admin`);
    }
  }

  /** CONFLICT (with `refusal`) when `user` is the last admin; call under `lockAdminRoster`. */
  async requireAnotherAdmin(
    manager: EntityManager,
    user: UserEntity,
    refusal: string,
  ): Promise<void> {
    if (user.role !== 'ADMIN') return;
    const admins = await manager
      .getRepository(UserEntity)
      .countBy({ role: 'ADMIN', erasedAt: IsNull() });
    if (admins <= 1) {
      throw new ConflictError(refusal);
    }
  }

  /**
   * Replaces an account's personal data with placeholders and takes its role away (an erased
   * account can do nothing); the row and its id stay, for what other records refer to.
   */
  async anonymize(tx: Tx, userId: string, erasedAt: Date): Promise<void> {
    await tx.manager.getRepository(UserEntity).update(
      { id: userId },
      {
        email: erasedEmail(userId),
        name: ERASED_NAME,
        timeZone: ERASED_TIME_ZONE,
        passwordHash: ERASED_PASSWORD_HASH,
        role: 'CUSTOMER',
        lockedUntil: null,
        erasedAt,
        updatedAt: erasedAt,
      },
    );
  }
}
