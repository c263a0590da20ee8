import { Role } from '@servicedesk/contracts';
import { anIdentity, postGraphQL, subgraphClient } from '@servicedesk/testing';
import { UsersService } from '../src/users/users.service';
import {
  REGISTER,
  SET_USER_ROLE,
  USER_FIELDS,
  UserData,
  aRegistration,
  registerUser,
} from './support/builders';
import { UserServiceFixture, startUserService } from './support/user-service.fixture';

const ME = `query { me { ${USER_FIELDS} } }`;
const USER = `query User($id: ID!) { user(id: $id) { id name role email } }`;
const USER_WITHOUT_EMAIL = `query User($id: ID!) { user(id: $id) { id name role timeZone createdAt } }`;
const USERS = `query Users($first: Int, $after: String, $role: Role) {
  users(first: $first, after: $after, role: $role) {
    edges { cursor node { id email role } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id name } }
}`;

interface UsersPage {
  users: {
    edges: Array<{ cursor: string; node: Pick<UserData, 'id' | 'email' | 'role'> }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

describe('users, roles and authorization', () => {
  let service: UserServiceFixture;

  beforeAll(async () => {
    service = await startUserService();
  });

  afterAll(() => service?.close());

  const errorCode = (response: { errors?: Array<{ extensions?: Record<string, unknown> }> }) =>
    response.errors?.[0]?.extensions?.code;

  describe('me', () => {
    it('returns the signed-in user, email included', async () => {
      const { user } = await registerUser(service);
      const response = await service.query<{ me: UserData }>(
        ME,
        {},
        anIdentity('CUSTOMER', user.id),
      );
      expect(response.data!.me).toEqual(user);
    });

    it('is UNAUTHENTICATED without a signed-in user', async () => {
      expect(errorCode(await service.query(ME))).toBe('UNAUTHENTICATED');
    });
  });

  describe('user(id)', () => {
    it('shows a customer the name of another user but refuses their email with FORBIDDEN', async () => {
      const { user: other } = await registerUser(service);
      const viewer = anIdentity('CUSTOMER');

      const withoutEmail = await service.query<{ user: UserData }>(
        USER_WITHOUT_EMAIL,
        { id: other.id },
        viewer,
      );
      expect(withoutEmail.data!.user).toMatchObject({
        id: other.id,
        name: other.name,
        role: 'CUSTOMER',
      });

      const withEmail = await service.query(USER, { id: other.id }, viewer);
      expect(errorCode(withEmail)).toBe('FORBIDDEN');
      expect(withEmail.errors![0].path).toEqual(['user', 'email']);
    });

    it.each<Role>(['AGENT', 'ADMIN'])('shows the email to an %s', async (role) => {
      const { user } = await registerUser(service);
      const response = await service.query<{ user: UserData }>(
        USER,
        { id: user.id },
        anIdentity(role),
      );
      expect(response.data!.user.email).toBe(user.email);
    });

    it('returns null for an id nobody has, and BAD_USER_INPUT on id for something that is not an id', async () => {
      const viewer = anIdentity('AGENT');
      expect((await service.query(USER, { id: anIdentity('AGENT').userId }, viewer)).data).toEqual({
        user: null,
      });
      const malformed = await service.query(USER, { id: 'nope' }, viewer);
      expect(malformed.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'id',
      });
    });

    it('is UNAUTHENTICATED without a signed-in user', async () => {
      const { user } = await registerUser(service);
      expect(errorCode(await service.query(USER_WITHOUT_EMAIL, { id: user.id }))).toBe(
        'UNAUTHENTICATED',
      );
    });
  });

  describe('users', () => {
    it('pages through every user, oldest first, with opaque cursors', async () => {
      for (let index = 0; index < 3; index += 1) await registerUser(service);
      const total = await service.count('users');
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const response: { data?: UsersPage | null } = await service.query<UsersPage>(
          USERS,
          { first: 2, after },
          anIdentity('ADMIN'),
        );
        const page: UsersPage['users'] = response.data!.users;
        seen.push(...page.edges.map((edge) => edge.node.id));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        pages += 1;
      } while (after);

      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      expect(pages).toBe(Math.ceil(total / 2));
      const ordered: Array<{ id: string }> = await service.dataSource.query(
        `SELECT id FROM "user".users ORDER BY created_at, id`,
      );
      expect(seen).toEqual(ordered.map((row) => row.id));
    });

    it('filters by role and is open to agents, who pick assignees from it', async () => {
      const response = await service.query<UsersPage>(
        USERS,
        { role: 'ADMIN' },
        anIdentity('AGENT'),
      );
      expect(response.errors).toBeUndefined();
      const roles = response.data!.users.edges.map((edge) => edge.node.role);
      expect(roles.length).toBeGreaterThan(0);
      expect(new Set(roles)).toEqual(new Set(['ADMIN']));
    });

    it('is FORBIDDEN to customers and UNAUTHENTICATED without a signed-in user', async () => {
      expect(errorCode(await service.query(USERS, {}, anIdentity('CUSTOMER')))).toBe('FORBIDDEN');
      expect(errorCode(await service.query(USERS, {}))).toBe('UNAUTHENTICATED');
    });

    it.each([
      ['first', { first: 0 }],
      ['first', { first: 101 }],
      ['after', { after: 'not-a-cursor' }],
    ])('rejects a bad %s with BAD_USER_INPUT', async (field, variables) => {
      const response = await service.query(USERS, variables, anIdentity('ADMIN'));
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });
  });

  describe('setUserRole', () => {
    it('lets an admin change a role and emits user.role_changed with the previous role', async () => {
      const { user } = await registerUser(service);
      const admin = await service.anAdmin();

      const response = await service.query<{ setUserRole: UserData }>(
        SET_USER_ROLE,
        { userId: user.id, role: 'AGENT' },
        admin,
      );

      expect(response.data!.setUserRole).toMatchObject({ id: user.id, role: 'AGENT' });
      const [row] = await service.dataSource.query(
        `SELECT envelope FROM "user".outbox WHERE aggregate_id = $1 AND event_type = 'user.role_changed'`,
        [user.id],
      );
      expect(row.envelope).toMatchObject({
        aggregateType: 'user',
        actor: { id: admin.userId, role: 'ADMIN' },
        payload: { userId: user.id, previousRole: 'CUSTOMER', role: 'AGENT' },
      });
    });

    it('changes nothing and emits nothing when the user already has the role', async () => {
      const { user } = await registerUser(service);
      const before = await service.count('outbox');
      const response = await service.query(
        SET_USER_ROLE,
        { userId: user.id, role: 'CUSTOMER' },
        await service.anAdmin(),
      );
      expect(response.errors).toBeUndefined();
      expect(await service.count('outbox')).toBe(before);
    });

    it('refuses to demote the last admin with CONFLICT, and allows it once there is another', async () => {
      const [bootstrapAdmin] = await service.dataSource.query(
        `SELECT id FROM "user".users WHERE role = 'ADMIN'`,
      );
      const self = anIdentity('ADMIN', bootstrapAdmin.id);

      const refused = await service.query(
        SET_USER_ROLE,
        { userId: bootstrapAdmin.id, role: 'AGENT' },
        self,
      );
      expect(errorCode(refused)).toBe('CONFLICT');
      expect(refused.errors![0].message).toMatch(/last admin/);

      const { user: second } = await registerUser(service);
      await service.query(SET_USER_ROLE, { userId: second.id, role: 'ADMIN' }, self);
      const allowed = await service.query(
        SET_USER_ROLE,
        { userId: bootstrapAdmin.id, role: 'AGENT' },
        self,
      );
      expect(allowed.errors).toBeUndefined();
      expect(await service.count('users', `role = 'ADMIN'`)).toBe(1);
    });

    it('lets only one of two admins demoting each other at the same time succeed: the other is no admin any more', async () => {
      const admins = await Promise.all([registerUser(service), registerUser(service)]);
      const currentAdmins: Array<{ id: string }> = await service.dataSource.query(
        `SELECT id FROM "user".users WHERE role = 'ADMIN'`,
      );
      const actor = anIdentity('ADMIN', currentAdmins[0].id);
      for (const { user } of admins) {
        await service.query(SET_USER_ROLE, { userId: user.id, role: 'ADMIN' }, actor);
      }
      for (const { id } of currentAdmins) {
        await service.query(
          SET_USER_ROLE,
          { userId: id, role: 'AGENT' },
          anIdentity('ADMIN', admins[0].user.id),
        );
      }
      expect(await service.count('users', `role = 'ADMIN'`)).toBe(2);

      const [first, second] = admins.map(({ user }) => user.id);
      const results = await Promise.all([
        service.query(SET_USER_ROLE, { userId: second, role: 'AGENT' }, anIdentity('ADMIN', first)),
        service.query(SET_USER_ROLE, { userId: first, role: 'AGENT' }, anIdentity('ADMIN', second)),
      ]);

      expect(results.map(errorCode).sort()).toEqual(['FORBIDDEN', undefined]);
      expect(await service.count('users', `role = 'ADMIN'`)).toBe(1);
    });

    it('answers NOT_FOUND for an unknown user', async () => {
      const response = await service.query(
        SET_USER_ROLE,
        { userId: anIdentity('CUSTOMER').userId, role: 'AGENT' },
        await service.anAdmin(),
      );
      expect(errorCode(response)).toBe('NOT_FOUND');
    });

    it('refuses with FORBIDDEN an admin demoted since their token was issued, and writes nothing', async () => {
      const [{ user: first }, { user: second }] = await Promise.all([
        registerUser(service),
        registerUser(service),
      ]);
      const admin = await service.anAdmin();
      for (const { id } of [first, second]) {
        await service.query(SET_USER_ROLE, { userId: id, role: 'ADMIN' }, admin);
      }
      const demotion = await service.query(
        SET_USER_ROLE,
        { userId: second.id, role: 'AGENT' },
        anIdentity('ADMIN', first.id),
      );
      expect(demotion.errors).toBeUndefined();
      const before = await service.count('outbox');

      const response = await service.query(
        SET_USER_ROLE,
        { userId: first.id, role: 'CUSTOMER' },
        anIdentity('ADMIN', second.id),
      );

      expect(errorCode(response)).toBe('FORBIDDEN');
      expect(await service.count('users', `id = $1 AND role = 'ADMIN'`, [first.id])).toBe(1);
      expect(await service.count('outbox')).toBe(before);
    });

    it.each<[string, Role | null, string]>([
      ['a customer', 'CUSTOMER', 'FORBIDDEN'],
      ['an agent', 'AGENT', 'FORBIDDEN'],
      ['nobody signed in', null, 'UNAUTHENTICATED'],
    ])('is refused to %s, and writes nothing', async (_who, role, code) => {
      const { user } = await registerUser(service);
      const before = await service.count('outbox');

      const response = await service.query(
        SET_USER_ROLE,
        { userId: user.id, role: 'ADMIN' },
        role ? anIdentity(role) : null,
      );

      expect(errorCode(response)).toBe(code);
      expect(await service.count('users', `id = $1 AND role = 'CUSTOMER'`, [user.id])).toBe(1);
      expect(await service.count('outbox')).toBe(before);
    });

    it('rejects a userId that is not an id with BAD_USER_INPUT, and writes nothing', async () => {
      const before = await service.count('outbox');
      const response = await service.query(
        SET_USER_ROLE,
        { userId: 'nope', role: 'AGENT' },
        anIdentity('ADMIN'),
      );
      expect(response.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'userId',
      });
      expect(await service.count('outbox')).toBe(before);
    });
  });

  describe('federation', () => {
    it('resolves references to users with one lookup per request', async () => {
      const users = await Promise.all([
        registerUser(service),
        registerUser(service),
        registerUser(service),
      ]);
      const lookups = jest.spyOn(service.app.get(UsersService), 'findByIds');
      try {
        const response = await service.query<{
          _entities: Array<{ id: string; name: string } | null>;
        }>(
          ENTITIES,
          {
            representations: [
              ...users.map(({ user }) => ({ __typename: 'User', id: user.id })),
              { __typename: 'User', id: users[0].user.id },
              { __typename: 'User', id: 'not-a-uuid' },
            ],
          },
          anIdentity('AGENT'),
        );

        expect(response.data!._entities).toEqual([
          ...users.map(({ user }) => ({ id: user.id, name: user.name })),
          { id: users[0].user.id, name: users[0].user.name },
          null,
        ]);
        expect(lookups).toHaveBeenCalledTimes(1);
      } finally {
        lookups.mockRestore();
      }
    });
  });

  describe('service credential', () => {
    it('answers 401 to a direct call without the credential, before running anything', async () => {
      const before = await service.count('users');
      const response = await postGraphQL(service.graphqlUrl, {}, REGISTER, {
        input: aRegistration(),
      });
      expect(response.status).toBe(401);
      expect(await service.count('users')).toBe(before);
    });

    it('answers 401 to a credential signed with another secret', async () => {
      const impostor = subgraphClient({
        url: service.graphqlUrl,
        service: 'user',
        secret: 'a-different-secret-of-enough-length',
      });
      const response = await impostor.query(ME, {}, anIdentity('ADMIN'));
      expect(response.status).toBe(401);
    });
  });
});
