import { JSONWebKeySet, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { LOGGER, Logger } from '@servicedesk/platform';
import { KeyRing } from '../src/auth/signing-keys';
import {
  AuthPayloadData,
  LOGIN,
  LOGOUT,
  REFRESH,
  SET_USER_ROLE,
  registerUser,
} from './support/builders';
import { UserServiceFixture, startUserService } from './support/user-service.fixture';

describe('access and refresh tokens', () => {
  let service: UserServiceFixture;

  beforeAll(async () => {
    service = await startUserService();
  });

  afterAll(() => service?.close());

  const refresh = (refreshToken: string) =>
    service.query<{ refreshToken: AuthPayloadData }>(REFRESH, { refreshToken });
  const logout = (refreshToken: string) =>
    service.query<{ logout: boolean }>(LOGOUT, { refreshToken });

  async function fetchJwks() {
    const response = await fetch(`${service.url}/.well-known/jwks.json`);
    return { status: response.status, body: (await response.json()) as JSONWebKeySet };
  }

  describe('JWKS', () => {
    it('is served without a service credential and verifies the access tokens', async () => {
      const { accessToken, user } = await registerUser(service);

      const jwks = await fetchJwks();

      expect(jwks.status).toBe(200);
      const { kid } = decodeProtectedHeader(accessToken);
      expect(jwks.body.keys).toEqual([
        expect.objectContaining({ kid, alg: 'EdDSA', use: 'sig', kty: 'OKP' }),
      ]);
      expect(jwks.body.keys[0]).not.toHaveProperty('d');
      const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks.body), {
        issuer: 'servicedesk-user',
        audience: 'servicedesk',
      });
      expect(payload).toMatchObject({ sub: user.id, role: 'CUSTOMER' });
      expect(payload.exp! - payload.iat!).toBe(service.config.ACCESS_TOKEN_TTL_SECONDS);
    });
  });

  describe('refresh', () => {
    it('rotates: a new refresh token and a new access token every time', async () => {
      const first = await registerUser(service);

      const second = await refresh(first.refreshToken);
      expect(second.errors).toBeUndefined();
      const rotated = second.data!.refreshToken;
      expect(rotated.refreshToken).not.toBe(first.refreshToken);
      expect(rotated.user.id).toBe(first.user.id);

      const third = await refresh(rotated.refreshToken);
      expect(third.errors).toBeUndefined();
    });

    it('revokes the whole family when a rotated token is used again: the newest token stops working too', async () => {
      const { refreshToken: original } = await registerUser(service);
      const newest = (await refresh(original)).data!.refreshToken.refreshToken;

      const reuse = await refresh(original);
      expect(reuse.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      const afterReuse = await refresh(newest);
      expect(afterReuse.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('logs a reuse with the user and the family to follow up, never the token', async () => {
      const { user, refreshToken: original } = await registerUser(service);
      await refresh(original);
      const warnings = jest.spyOn(service.app.get<Logger>(LOGGER), 'warn');
      try {
        await refresh(original);

        const [family] = await service.dataSource.query(
          `SELECT DISTINCT family_id FROM "user".refresh_tokens WHERE user_id = $1`,
          [user.id],
        );
        expect(warnings).toHaveBeenCalledWith(
          { userId: user.id, familyId: family.family_id },
          expect.stringMatching(/^refresh token reused/),
        );
        expect(JSON.stringify(warnings.mock.calls)).not.toContain(original);
      } finally {
        warnings.mockRestore();
      }
    });

    it('lets only one of two simultaneous uses of a token win, and treats the other as reuse', async () => {
      const { refreshToken } = await registerUser(service);

      const results = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);

      const winners = results.filter((result) => result.data?.refreshToken);
      expect(winners).toHaveLength(1);
      expect(
        results.filter((result) => result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED'),
      ).toHaveLength(1);
      const successor = winners[0].data!.refreshToken.refreshToken;
      expect((await refresh(successor)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('leaves the other sign-ins of the same user alone when one family is revoked', async () => {
      const { registration, refreshToken: first } = await registerUser(service);
      const otherDevice = await service.query<{ login: AuthPayloadData }>(LOGIN, {
        email: registration.email,
        password: registration.password,
      });
      await refresh(first);
      await refresh(first);

      expect((await refresh(otherDevice.data!.login.refreshToken)).errors).toBeUndefined();
    });

    it('refuses an expired refresh token', async () => {
      const { refreshToken } = await registerUser(service);
      service.clock.advance(service.config.REFRESH_TOKEN_TTL_SECONDS * 1000);

      expect((await refresh(refreshToken)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a token it never issued', async () => {
      expect((await refresh('A'.repeat(43))).errors?.[0]).toMatchObject({
        message: 'invalid or expired refresh token, sign in again',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    });

    it('issues access tokens with the role the user has now', async () => {
      const { user, refreshToken } = await registerUser(service);
      await service.query(
        SET_USER_ROLE,
        { userId: user.id, role: 'AGENT' },
        await service.anAdmin(),
      );

      const refreshed = await refresh(refreshToken);

      const { payload } = await jwtVerify(
        refreshed.data!.refreshToken.accessToken,
        createLocalJWKSet(service.app.get(KeyRing).jwks()),
      );
      expect(payload.role).toBe('AGENT');
      expect(refreshed.data!.refreshToken.user.role).toBe('AGENT');
    });
  });

  describe('logout', () => {
    it('ends the sign-in: no token of its family can be refreshed any more', async () => {
      const { refreshToken: original } = await registerUser(service);
      const current = (await refresh(original)).data!.refreshToken.refreshToken;

      const response = await logout(current);

      expect(response.data).toEqual({ logout: true });
      expect((await refresh(current)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('says false for a token it does not know', async () => {
      expect((await logout('B'.repeat(43))).data).toEqual({ logout: false });
    });
  });

  describe('bad input', () => {
    it.each([
      ['refreshToken', REFRESH],
      ['logout', LOGOUT],
    ])(
      '%s rejects a malformed token with BAD_USER_INPUT on refreshToken, and writes nothing',
      async (_name, mutation) => {
        const before = await service.count(
          'refresh_tokens',
          'revoked_at IS NULL AND rotated_at IS NULL',
        );

        const response = await service.query(mutation, { refreshToken: 'not a refresh token' });

        expect(response.errors?.[0]).toMatchObject({
          extensions: { code: 'BAD_USER_INPUT', field: 'refreshToken' },
        });
        expect(
          await service.count('refresh_tokens', 'revoked_at IS NULL AND rotated_at IS NULL'),
        ).toBe(before);
      },
    );
  });
});
