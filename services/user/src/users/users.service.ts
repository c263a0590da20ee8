import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
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

/** Serialises role changes, so two admins demoting each other cannot both see "another admin is left". */
const ROLE_CHANGE_LOCK = 'user.role-change';

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

  findById(
    manager: EntityManager,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOne({
      where: { id },
      lock: options.lock ? { mode: 'pessimistic_write' } : undefined,
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
   * the role a user already has changes nothing. Refuses to demote the last admin.
   *
   * The actor's role is read again here, not taken from their access token: an admin
   * demoted a minute ago still holds a token that says ADMIN until it expires.
   */
  async setRole(actorId: string, userId: string, role: Role): Promise<UserEntity> {
    return this.unitOfWork.run(async (tx) => {
      await tx.manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [ROLE_CHANGE_LOCK]);
      const users = tx.manager.getRepository(UserEntity);
      const actor = await users.findOne({ select: { role: true }, where: { id: actorId } });
      if (actor?.role !== 'ADMIN') {
        throw new ForbiddenError(
          'only admins may change roles, and your account is no longer an admin',
        );
      }
      const user = await users.findOneBy({ id: userId });
      if (!user) throw new NotFoundError('User', userId);
      if (user.role === role) return user;
      if (user.role === 'ADMIN' && (await users.countBy({ role: 'ADMIN' })) <= 1) {
        throw new ConflictError(
          'the last admin cannot lose the ADMIN role; make another user an admin first',
        );
      }
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
}
