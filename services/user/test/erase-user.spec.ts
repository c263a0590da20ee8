import { Client } from 'pg';
import { Role } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';
import { anIdentity, dataOf, errorOf, waitFor } from '@servicedesk/testing';
import {
  ERASE_USER,
  LOGIN,
  REFRESH,
  SET_USER_ROLE,
  USER_FIELDS,
  UserData,
  registerUser,
} from './support/builders';
import { UserServiceFixture, startUserService } from './support/user-service.fixture';

const USER = `query User($id: ID!) { user(id: $id) { ${USER_FIELDS} erasedAt } }`;
const USERS = `query Users($first: Int) { users(first: $first) { edges { node { id } } } }`;

interface ErasedUserData {
  eraseUser: { userId: string; erasedAt: string };
}

describe('eraseUser', () => {
  let service: UserServiceFixture;

  beforeAll(async () => {
    service = await startUserService();
  });

  afterAll(() => service?.close());

  const erase = (userId: string, caller: Identity | null) =>
    service.query<ErasedUserData>(ERASE_USER, { userId }, caller);
  const outboxRows = (userId: string, type?: string) =>
    service.count(
      'outbox',
      `aggregate_type = 'user' AND aggregate_id = $1 AND ($2::text IS NULL OR event_type = $2)`,
      [userId, type ?? null],
    );
  /** Registers a customer and gives them `role` through an admin. */
  async function aUserWithRole(role: Role) {
    const registered = await registerUser(service);
    if (role !== 'CUSTOMER') {
      dataOf(
        await service.query(
          SET_USER_ROLE,
          { userId: registered.user.id, role },
          await service.anAdmin(),
        ),
      );
    }
    return { ...registered, identity: anIdentity(role, registered.user.id) };
  }

  describe('the last admin', () => {
    it('cannot be erased (CONFLICT, nothing written), until there is another admin', async () => {
      expect(await service.count('users', `role = 'ADMIN'`)).toBe(1);
      const onlyAdmin = await service.anAdmin();

      const refused = await erase(onlyAdmin.userId, onlyAdmin);
      expect(errorOf(refused)).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/last admin/),
      });
      expect(await service.count('users', 'erased_at IS NOT NULL')).toBe(0);
      expect(await outboxRows(onlyAdmin.userId, 'user.erased')).toBe(0);

      const { identity: secondAdmin } = await aUserWithRole('ADMIN');
      expect(dataOf(await erase(onlyAdmin.userId, secondAdmin)).eraseUser.userId).toBe(
        onlyAdmin.userId,
      );
      expect(await service.count('users', `role = 'ADMIN'`)).toBe(1);
    });

    it('is kept by two admins erasing each other at once: exactly one erasure succeeds', async () => {
      const [first, second] = [await aUserWithRole('ADMIN'), await aUserWithRole('ADMIN')];
      const admins = await service.count('users', `role = 'ADMIN'`);

      const results = await Promise.all([
        erase(second.user.id, first.identity),
        erase(first.user.id, second.identity),
      ]);

      expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
      expect(results.map((result) => result.errors && errorOf(result).code)).toContain('FORBIDDEN');
      expect(await service.count('users', `role = 'ADMIN'`)).toBe(admins - 1);
    });

    it('cannot hand the admin role to an erased account to slip past the rule', async () => {
      const { user: erased, identity } = await aUserWithRole('CUSTOMER');
      dataOf(await erase(erased.id, identity));
      const admin = await service.anAdmin();
      const admins = await service.count('users', `role = 'ADMIN'`);
      const before = await service.count('outbox');

      const promoted = await service.query(
        SET_USER_ROLE,
        { userId: erased.id, role: 'ADMIN' },
        admin,
      );

      expect(errorOf(promoted)).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/erased/),
      });
      expect(await service.count('users', `role = 'ADMIN'`)).toBe(admins);
      expect(await service.count('outbox')).toBe(before);
    });
  });

  it('lets a person erase their own account, which then shows only placeholders', async () => {
    const { user, registration, identity } = await aUserWithRole('CUSTOMER');
    service.clock.advance(24 * 60 * 60_000);
    const before = service.clock.now().getTime();

    const response = await erase(user.id, identity);

    const { eraseUser } = dataOf(response);
    expect(eraseUser.userId).toBe(user.id);
    expect(Date.parse(eraseUser.erasedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(eraseUser.erasedAt)).toBeLessThanOrEqual(service.clock.now().getTime());
    const seen = dataOf(
      await service.query<{ user: UserData & { erasedAt: string } }>(
        USER,
        { id: user.id },
        anIdentity('ADMIN'),
      ),
    ).user;
    expect(seen).toEqual({
      id: user.id,
      email: `erased-${user.id}@erased.invalid`,
      name: 'Erased user',
      role: 'CUSTOMER',
      timeZone: 'UTC',
      createdAt: user.createdAt,
      erasedAt: eraseUser.erasedAt,
    });
    const [row] = await service.dataSource.query(
      `SELECT row_to_json(u)::text AS stored FROM "user".users u WHERE id = $1`,
      [user.id],
    );
    expect(row.stored).not.toContain(registration.email);
    expect(row.stored).not.toContain(registration.name);
  });

  it('lets an admin erase anyone, agents included, who then lose their role', async () => {
    const { user } = await aUserWithRole('AGENT');
    const response = await erase(user.id, await service.anAdmin());
    expect(response.errors).toBeUndefined();
    expect(await service.count('users', `id = $1 AND role = 'CUSTOMER'`, [user.id])).toBe(1);
  });

  it.each<[string, Role | null, string]>([
    ['another customer', 'CUSTOMER', 'FORBIDDEN'],
    ['an agent', 'AGENT', 'FORBIDDEN'],
    ['nobody signed in', null, 'UNAUTHENTICATED'],
  ])('is refused to %s, and writes nothing', async (_who, role, code) => {
    const { user } = await registerUser(service);
    const before = await service.count('outbox');

    const response = await erase(user.id, role ? anIdentity(role) : null);

    expect(errorOf(response).code).toBe(code);
    expect(await service.count('users', 'id = $1 AND erased_at IS NULL', [user.id])).toBe(1);
    expect(await service.count('outbox')).toBe(before);
  });

  it('refuses with FORBIDDEN an admin demoted since their token was issued', async () => {
    const { user: target } = await registerUser(service);
    const { user: former } = await aUserWithRole('ADMIN');
    dataOf(
      await service.query(
        SET_USER_ROLE,
        { userId: former.id, role: 'AGENT' },
        await service.anAdmin(),
      ),
    );

    const response = await erase(target.id, anIdentity('ADMIN', former.id));

    expect(errorOf(response).code).toBe('FORBIDDEN');
    expect(await service.count('users', 'id = $1 AND erased_at IS NULL', [target.id])).toBe(1);
  });

  it('answers NOT_FOUND for an unknown account and BAD_USER_INPUT on userId for a bad id, writing nothing', async () => {
    const before = await service.count('outbox');
    const admin = await service.anAdmin();

    expect(errorOf(await erase(anIdentity('CUSTOMER').userId, admin)).code).toBe('NOT_FOUND');
    expect(errorOf(await erase('not-an-id', admin))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'userId',
    });
    expect(await service.count('outbox')).toBe(before);
  });

  it('is idempotent: erasing again keeps the first erasure and emits user.erased once', async () => {
    const { user } = await registerUser(service);
    const identity = anIdentity('CUSTOMER', user.id);

    const first = dataOf(await erase(user.id, identity)).eraseUser;
    service.clock.advance(60_000);
    const again = dataOf(await erase(user.id, await service.anAdmin())).eraseUser;

    expect(again).toEqual(first);
    expect(await outboxRows(user.id, 'user.erased')).toBe(1);
    const [row] = await service.dataSource.query(
      `SELECT envelope FROM "user".outbox WHERE aggregate_id = $1 AND event_type = 'user.erased'`,
      [user.id],
    );
    expect(row.envelope).toMatchObject({
      aggregateType: 'user',
      aggregateId: user.id,
      actor: { id: user.id, role: 'CUSTOMER' },
      payload: { userId: user.id },
    });
  });

  it('ends every sign-in: refresh tokens of all families are revoked and rejected', async () => {
    const registered = await registerUser(service);
    const secondSignIn = dataOf(
      await service.query<{ login: { refreshToken: string } }>(LOGIN, {
        email: registered.registration.email,
        password: registered.registration.password,
      }),
    ).login;

    dataOf(await erase(registered.user.id, anIdentity('CUSTOMER', registered.user.id)));

    for (const refreshToken of [registered.refreshToken, secondSignIn.refreshToken]) {
      const response = await service.query(REFRESH, { refreshToken });
      expect(errorOf(response).code).toBe('UNAUTHENTICATED');
    }
    expect(
      await service.count('refresh_tokens', 'user_id = $1 AND revoked_at IS NULL', [
        registered.user.id,
      ]),
    ).toBe(0);
  });

  it('waits for a refresh rotating while the erasure starts, without deadlock, and revokes its successor', async () => {
    const { user, refreshToken } = await registerUser(service);
    const blocker = new Client({ connectionString: service.databaseUrl });
    await blocker.connect();
    const waitingForLocks = async () => {
      const { rows } = await service.db.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return rows[0].waiting;
    };
    try {
      // The refresh holds the old token and waits to insert its successor, uncommitted.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE "user".refresh_tokens IN SHARE MODE');
      const refreshed = service.query<{ refreshToken: { refreshToken: string } }>(REFRESH, {
        refreshToken,
      });
      await waitFor(async () => (await waitingForLocks()) >= 1, {
        description: 'the refresh to wait for its successor token',
      });
      const erased = erase(user.id, anIdentity('CUSTOMER', user.id));
      await waitFor(async () => (await waitingForLocks()) >= 2, {
        description: 'the erasure to wait as well',
      });
      await blocker.query('COMMIT');

      // Neither is a deadlock victim: the rotation completes first, then the erasure.
      const successor = dataOf(await refreshed).refreshToken.refreshToken;
      dataOf(await erased);
      expect(
        await service.count('refresh_tokens', 'user_id = $1 AND revoked_at IS NULL', [user.id]),
      ).toBe(0);
      expect(errorOf(await service.query(REFRESH, { refreshToken: successor })).code).toBe(
        'UNAUTHENTICATED',
      );
    } finally {
      await blocker.end();
    }
  });

  it('makes login fail like a wrong password, by old and placeholder email, and forgets failed logins', async () => {
    const { user, registration } = await registerUser(service);
    await service.query(LOGIN, { email: registration.email, password: 'Wrong-password-123' });
    expect(await service.count('login_failures', 'user_id = $1', [user.id])).toBe(1);

    dataOf(await erase(user.id, anIdentity('CUSTOMER', user.id)));

    expect(await service.count('login_failures', 'user_id = $1', [user.id])).toBe(0);
    for (const email of [registration.email, `erased-${user.id}@erased.invalid`]) {
      const response = await service.query(LOGIN, { email, password: registration.password });
      expect(errorOf(response)).toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'invalid email or password',
      });
    }
    expect(await service.count('login_failures', 'user_id = $1', [user.id])).toBe(0);
  });

  it('frees the email: a new account can be registered with it', async () => {
    const { user, registration } = await registerUser(service);
    dataOf(await erase(user.id, anIdentity('CUSTOMER', user.id)));

    const again = await registerUser(service, { email: registration.email });

    expect(again.user.id).not.toBe(user.id);
    expect(again.user.email).toBe(registration.email);
  });

  it('deletes the published outbox rows of the user, which carried their email and name', async () => {
    const { user, registration } = await registerUser(service);
    await waitFor(
      async () =>
        (await service.count('outbox', `aggregate_id = $1 AND status = 'PUBLISHED'`, [user.id])) ===
        1,
      { description: 'user.registered to be published' },
    );

    dataOf(await erase(user.id, anIdentity('CUSTOMER', user.id)));

    expect(await outboxRows(user.id, 'user.registered')).toBe(0);
    expect(await outboxRows(user.id)).toBe(1);
    const rows: Array<{ envelope: unknown }> = await service.dataSource.query(
      `SELECT envelope FROM "user".outbox WHERE aggregate_id = $1`,
      [user.id],
    );
    expect(JSON.stringify(rows)).not.toContain(registration.email);
  });

  it('leaves erased accounts out of users', async () => {
    const { user } = await registerUser(service);
    dataOf(await erase(user.id, anIdentity('CUSTOMER', user.id)));

    const listed = dataOf(
      await service.query<{ users: { edges: Array<{ node: { id: string } }> } }>(
        USERS,
        { first: 100 },
        anIdentity('ADMIN'),
      ),
    ).users.edges.map((edge) => edge.node.id);

    expect(listed).not.toContain(user.id);
    expect(listed).toHaveLength(await service.count('users', 'erased_at IS NULL'));
  });
});
