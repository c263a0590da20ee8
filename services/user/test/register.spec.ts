import { Role } from '@servicedesk/contracts';
import { AuthPayloadData, REGISTER, aRegistration, registerUser } from './support/builders';
import { UserServiceFixture, startUserService } from './support/user-service.fixture';

describe('register', () => {
  let service: UserServiceFixture;

  beforeAll(async () => {
    service = await startUserService();
  });

  afterAll(() => service?.close());

  it('creates a CUSTOMER, signs them in and writes user.registered to the outbox in the same transaction', async () => {
    const registration = aRegistration({ email: `  ${aRegistration().email}  ` });
    const response = await service.query<{ register: AuthPayloadData }>(REGISTER, {
      input: registration,
    });

    expect(response.errors).toBeUndefined();
    const payload = response.data!.register;
    expect(payload.user).toEqual({
      id: expect.any(String),
      email: registration.email.trim(),
      name: registration.name,
      role: 'CUSTOMER',
      timeZone: registration.timeZone,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(payload.accessToken.split('.')).toHaveLength(3);
    expect(payload.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(payload.expiresIn).toBe(900);

    const [row] = await service.dataSource.query(
      `SELECT aggregate_id, aggregate_type, event_type, envelope FROM "user".outbox WHERE aggregate_id = $1`,
      [payload.user.id],
    );
    expect(row).toMatchObject({
      aggregate_id: payload.user.id,
      aggregate_type: 'user',
      event_type: 'user.registered',
    });
    expect(row.envelope).toMatchObject({
      type: 'user.registered',
      source: 'user',
      aggregateId: payload.user.id,
      actor: { id: payload.user.id, role: 'CUSTOMER' },
      payload: {
        userId: payload.user.id,
        email: registration.email.trim(),
        name: registration.name,
        role: 'CUSTOMER' satisfies Role,
        timeZone: registration.timeZone,
      },
    });
  });

  it('stores a hash of the password, never the password', async () => {
    const { user, registration } = await registerUser(service);
    const [row] = await service.dataSource.query(
      `SELECT password_hash FROM "user".users WHERE id = $1`,
      [user.id],
    );
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(registration.password);
  });

  it('refuses an email already taken, in any letter case, with CONFLICT and writes nothing', async () => {
    const { registration } = await registerUser(service);
    const before = await countEverything();

    const response = await service.query(REGISTER, {
      input: aRegistration({ email: registration.email.toUpperCase() }),
    });

    expect(response.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await countEverything()).toEqual(before);
  });

  const badInputs: Array<[string, string, Partial<ReturnType<typeof aRegistration>>, RegExp]> = [
    ['input.email', 'that is not an email address', { email: 'not-an-email' }, /valid email/],
    [
      'input.email',
      'longer than 254 characters',
      { email: `${'a'.repeat(250)}@example.com` },
      /at most 254/,
    ],
    [
      'input.password',
      'shorter than 12 characters',
      { password: 'Short-1' },
      /at least 12 characters/,
    ],
    [
      'input.password',
      'of a single kind of character',
      { password: 'alllowercaseletters' },
      /two kinds/,
    ],
    [
      'input.password',
      'containing the email local part',
      { email: 'grace.hopper@example.com', password: 'Grace.Hopper-2025' },
      /before the @/,
    ],
    ['input.name', 'that is blank', { name: '   ' }, /must not be empty/],
    ['input.name', 'longer than 100 characters', { name: 'x'.repeat(101) }, /at most 100/],
    ['input.timeZone', 'that does not exist', { timeZone: 'Mars/Olympus_Mons' }, /IANA time zone/],
    ['input.timeZone', 'given as an offset', { timeZone: '+02:00' }, /IANA time zone/],
  ];

  it.each(badInputs)(
    'rejects an %s %s with BAD_USER_INPUT naming the field, and writes nothing',
    async (field, _case, override, message) => {
      const before = await countEverything();

      const response = await service.query(REGISTER, { input: aRegistration(override) });

      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
      expect(response.errors![0].message).toMatch(message);
      expect(await countEverything()).toEqual(before);
    },
  );

  function countEverything() {
    return Promise.all(['users', 'outbox', 'refresh_tokens'].map((table) => service.count(table)));
  }
});
