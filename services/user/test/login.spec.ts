import * as argon2 from 'argon2';
import { LOGGER, Logger } from '@servicedesk/platform';
import { anIdentity } from '@servicedesk/testing';
import { LOGIN_FAILED_MESSAGE, emailDigest } from '../src/auth/auth.service';
import { PasswordHasher } from '../src/users/password-hasher';
import { AuthPayloadData, LOGIN, aRegistration, registerUser } from './support/builders';
import { Gate } from './support/gate';
import { UserServiceFixture, startUserService } from './support/user-service.fixture';

const MINUTE_MS = 60_000;
/** More parallel logins than the service's 10 pooled connections. */
const BURST = 12;
const USERS = `query { users(first: 1) { edges { node { id } } } }`;

describe('login', () => {
  let service: UserServiceFixture;

  beforeAll(async () => {
    service = await startUserService();
  });

  afterAll(() => service?.close());

  const login = (email: string, password: string) =>
    service.query<{ login: AuthPayloadData }>(LOGIN, { email, password });

  it('signs in with the right password, whatever the letter case of the email', async () => {
    const { registration, user } = await registerUser(service);

    const response = await login(registration.email.toUpperCase(), registration.password);

    expect(response.errors).toBeUndefined();
    expect(response.data!.login.user).toMatchObject({ id: user.id, email: registration.email });
    expect(response.data!.login.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers a wrong password and an unknown email with the same UNAUTHENTICATED error', async () => {
    const { registration } = await registerUser(service);

    const wrongPassword = await login(registration.email, 'Not-the-password-1');
    const unknownEmail = await login(`nobody-${registration.email}`, registration.password);

    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.data).toBeNull();
      expect(response.errors).toEqual([
        expect.objectContaining({
          message: 'invalid email or password',
          extensions: { code: 'UNAUTHENTICATED' },
        }),
      ]);
    }
  });

  it('locks the account at the fifth failure in 15 minutes, answering it exactly as a wrong password or an unknown email, until the lockout ends', async () => {
    const { registration, user } = await registerUser(service);
    const wrongPassword = await login(registration.email, 'Wrong-password-1');
    for (let failure = 2; failure <= 4; failure += 1)
      await login(registration.email, `Wrong-password-${failure}`);
    const decoys = jest.spyOn(service.app.get(PasswordHasher), 'verifyNothing');
    try {
      const fifth = await login(registration.email, 'Wrong-password-5');
      const rightPasswordWhileLocked = await login(registration.email, registration.password);
      const unknownEmail = await login(`nobody-${registration.email}`, registration.password);

      expect(await lockedUntilOf(user.id)).not.toBeNull();
      for (const response of [fifth, rightPasswordWhileLocked, unknownEmail]) {
        expect(response).toEqual(wrongPassword);
      }
      // The locked attempt cost an argon2 verification, as the unknown email did.
      expect(decoys).toHaveBeenCalledTimes(2);
    } finally {
      decoys.mockRestore();
    }

    service.clock.advance(15 * MINUTE_MS);
    const afterLockout = await login(registration.email, registration.password);
    expect(afterLockout.errors).toBeUndefined();
    expect(afterLockout.data!.login.user.id).toBe(user.id);
    expect(await service.count('login_failures', 'user_id = $1', [user.id])).toBe(0);
  });

  it('logs each failed login at info, by user id or an email digest, never the email in clear', async () => {
    const { registration, user } = await registerUser(service);
    const unknownEmail = `nobody-${registration.email}`;
    const lines = jest.spyOn(service.app.get<Logger>(LOGGER), 'info');
    try {
      await login(registration.email, 'Wrong-password-1');
      await login(unknownEmail, registration.password);

      const failures = lines.mock.calls.filter(([, message]) => message === LOGIN_FAILED_MESSAGE);
      expect(failures).toEqual([
        [{ userId: user.id, reason: 'wrong_password' }, LOGIN_FAILED_MESSAGE],
        [{ reason: 'unknown_email', emailDigest: emailDigest(unknownEmail) }, LOGIN_FAILED_MESSAGE],
      ]);
      expect(JSON.stringify(failures)).not.toContain(registration.email);
      expect(JSON.stringify(failures)).not.toContain(unknownEmail);
    } finally {
      lines.mockRestore();
    }
  });

  it('logs the lock and each refused attempt for operators, by user id and without the email', async () => {
    const { registration, user } = await registerUser(service);
    const warnings = jest.spyOn(service.app.get<Logger>(LOGGER), 'warn');
    try {
      for (let failure = 1; failure <= 5; failure += 1)
        await login(registration.email, `Wrong-password-${failure}`);
      await login(registration.email, registration.password);

      const lockedUntil = (await lockedUntilOf(user.id))!.toISOString();
      expect(warnings.mock.calls).toEqual([
        [{ userId: user.id, lockedUntil }, 'account locked after too many failed logins'],
        [{ userId: user.id, lockedUntil }, 'login refused: account locked'],
      ]);
      expect(JSON.stringify(warnings.mock.calls)).not.toContain(registration.email);
    } finally {
      warnings.mockRestore();
    }
  });

  it('counts a right password as no failure, even when it comes after four wrong ones', async () => {
    const { registration, user } = await registerUser(service);
    for (let failure = 1; failure <= 4; failure += 1)
      await login(registration.email, `Wrong-password-${failure}`);

    expect((await login(registration.email, registration.password)).errors).toBeUndefined();

    const next = await login(registration.email, 'Wrong-password-5');
    expect(next.errors?.[0]?.message).toBe('invalid email or password');
    expect(await service.count('login_failures', 'user_id = $1', [user.id])).toBe(1);
  });

  it('checks no more guesses than the limit when they arrive all at once, locks the account, and answers every guess alike', async () => {
    const { registration, user } = await registerUser(service);
    const maxFailures = service.config.LOGIN_MAX_FAILURES;
    const verifications = jest.spyOn(service.app.get(PasswordHasher), 'verify');
    try {
      const responses = await Promise.all(
        Array.from({ length: BURST }, (_, guess) =>
          login(registration.email, `Wrong-password-${guess}`),
        ),
      );

      expect(verifications).toHaveBeenCalledTimes(maxFailures);
      for (const response of responses) {
        expect(response.errors).toEqual([
          expect.objectContaining({
            message: 'invalid email or password',
            extensions: { code: 'UNAUTHENTICATED' },
          }),
        ]);
      }
    } finally {
      verifications.mockRestore();
    }
    expect(await service.count('login_failures', 'user_id = $1', [user.id])).toBe(maxFailures);
    expect(await lockedUntilOf(user.id)).not.toBeNull();
    const rightPasswordWhileLocked = await login(registration.email, registration.password);
    expect(rightPasswordWhileLocked.errors?.[0]?.message).toBe('invalid email or password');
  });

  it('holds no database connection while it checks passwords, so other queries still answer', async () => {
    const accounts = await Promise.all(
      Array.from({ length: BURST / 2 }, () => registerUser(service)),
    );
    const hasher = service.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    const verifyNothing = hasher.verifyNothing.bind(hasher);
    const gate = new Gate();
    const heldChecks = [
      jest.spyOn(hasher, 'verify').mockImplementation(async (passwordHash, password) => {
        await gate.pass();
        return verify(passwordHash, password);
      }),
      jest.spyOn(hasher, 'verifyNothing').mockImplementation(async (password) => {
        await gate.pass();
        return verifyNothing(password);
      }),
    ];
    try {
      const logins = Promise.all([
        ...accounts.map(({ registration }) => login(registration.email, 'Wrong-password-1')),
        ...accounts.map(() => login(aRegistration().email, 'Wrong-password-1')),
      ]);
      await gate.whenWaiting(BURST);

      const users = await service.query(USERS, {}, anIdentity('ADMIN'));

      expect(users.errors).toBeUndefined();
      gate.open();
      for (const response of await logins) {
        expect(response.errors?.[0]?.message).toBe('invalid email or password');
      }
    } finally {
      gate.open();
      for (const check of heldChecks) check.mockRestore();
    }
  });

  it('does not lock when the failures are spread over more than the window', async () => {
    const { registration } = await registerUser(service);
    for (let failure = 1; failure <= 4; failure += 1)
      await login(registration.email, `Wrong-password-${failure}`);
    service.clock.advance(15 * MINUTE_MS + 1);

    const fifth = await login(registration.email, 'Wrong-password-5');
    expect(fifth.errors?.[0]?.message).toBe('invalid email or password');
    expect((await login(registration.email, registration.password)).errors).toBeUndefined();
  });

  it('upgrades a password hash made with weaker parameters when the user signs in', async () => {
    const { registration, user } = await registerUser(service);
    const weakHash = await argon2.hash(registration.password, {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 1,
    });
    await service.dataSource.query(`UPDATE "user".users SET password_hash = $2 WHERE id = $1`, [
      user.id,
      weakHash,
    ]);

    expect((await login(registration.email, registration.password)).errors).toBeUndefined();

    const [row] = await service.dataSource.query(
      `SELECT password_hash FROM "user".users WHERE id = $1`,
      [user.id],
    );
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect((await login(registration.email, registration.password)).errors).toBeUndefined();
  });

  it('records failures only for existing accounts', async () => {
    const before = await service.count('login_failures');
    await login('nobody-at-all@example.com', 'Whatever-password-1');
    expect(await service.count('login_failures')).toBe(before);
  });

  it.each([
    ['email', 'not-an-email', 'Some-password-123'],
    ['email', '', 'Some-password-123'],
    ['password', 'someone@example.com', ''],
    ['password', 'someone@example.com', 'x'.repeat(129)],
  ])(
    'rejects a bad %s with BAD_USER_INPUT naming it, and writes nothing',
    async (field, email, password) => {
      const before = await countEverything();

      const response = await login(email, password);

      expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
      expect(await countEverything()).toEqual(before);
    },
  );

  async function lockedUntilOf(userId: string): Promise<Date | null> {
    const [row] = await service.dataSource.query(
      `SELECT locked_until FROM "user".users WHERE id = $1`,
      [userId],
    );
    return row.locked_until;
  }

  function countEverything() {
    return Promise.all(
      ['users', 'outbox', 'refresh_tokens', 'login_failures'].map((table) => service.count(table)),
    );
  }
});
