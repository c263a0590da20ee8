import { AuthPayloadData, LOGIN } from './support/builders';
import { UserServiceEnvironment, userServiceEnvironment } from './support/user-service.fixture';

const ADMIN_EMAIL = 'Operations@Example.com';
const ADMIN_PASSWORD = 'Bootstrap-admin-password-7';

describe('first administrator', () => {
  let environment: UserServiceEnvironment;

  beforeAll(async () => {
    environment = await userServiceEnvironment({ ADMIN_EMAIL, ADMIN_PASSWORD });
  });

  afterAll(() => environment?.close());

  const adminRows = () => environment.count('users', 'lower(email) = lower($1)', [ADMIN_EMAIL]);
  const adminEvents = () =>
    environment.count(
      'outbox',
      `event_type = 'user.registered' AND envelope->'payload'->>'email' = $1`,
      [ADMIN_EMAIL],
    );

  it('is created once from ADMIN_EMAIL / ADMIN_PASSWORD even when two replicas start at the same time', async () => {
    const [first] = await Promise.all([environment.start(), environment.start()]);

    expect(await adminRows()).toBe(1);
    expect(await adminEvents()).toBe(1);
    const [row] = await first.dataSource.query(
      `SELECT envelope FROM "user".outbox WHERE event_type = 'user.registered' AND envelope->'payload'->>'email' = $1`,
      [ADMIN_EMAIL],
    );
    expect(row.envelope).toMatchObject({
      actor: null,
      payload: { role: 'ADMIN', email: ADMIN_EMAIL },
    });

    const login = await first.query<{ login: AuthPayloadData }>(LOGIN, {
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
    });
    expect(login.data!.login.user).toMatchObject({ email: ADMIN_EMAIL, role: 'ADMIN' });
  });

  it('is left alone when the service starts again', async () => {
    const again = await environment.start();
    await again.close();

    expect(await adminRows()).toBe(1);
    expect(await adminEvents()).toBe(1);
  });
});
