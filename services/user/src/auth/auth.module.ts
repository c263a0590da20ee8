import { Module } from '@nestjs/common';
import { LOGGER, Logger, CLOCK, Clock } from '@servicedesk/platform';
import { USER_CONFIG, UserConfig } from '../config';
import { UsersModule } from '../users/users.module';
import { AccessTokenSigner } from './access-tokens';
import { AuthResolver } from './auth.resolver';
import { AuthService } from './auth.service';
import { JwksController } from './jwks.controller';
import { AuthMetrics } from './auth-metrics';
import { LOCKOUT_POLICY, LoginLockout } from './login-lockout.service';
import { LockoutPolicy } from './lockout-policy';
import { REFRESH_TOKEN_TTL_SECONDS, RefreshTokens } from './refresh-tokens.service';
import { KeyRing } from './signing-keys';

const MINUTE_MS = 60_000;

/** Credentials and tokens: sign-up, sign-in, refresh, sign-out, and the JWKS to verify access tokens. */
@Module({
  imports: [UsersModule],
  controllers: [JwksController],
  providers: [
    AuthService,
    AuthMetrics,
    AuthResolver,
    LoginLockout,
    RefreshTokens,
    {
      provide: KeyRing,
      inject: [USER_CONFIG, LOGGER],
      useFactory: async (config: UserConfig, logger: Logger): Promise<KeyRing> => {
        const keys = await KeyRing.create({
          privateKeyPem: config.JWT_PRIVATE_KEY,
          keyId: config.JWT_KEY_ID,
          previousPublicKeys: config.JWT_PREVIOUS_PUBLIC_KEYS,
        });
        if (keys.ephemeral) {
          logger.warn(
            { kid: keys.signingKey.kid },
            'JWT_PRIVATE_KEY is not set: signing with a key generated for this process; its tokens stop verifying when it restarts',
          );
        }
        return keys;
      },
    },
    {
      provide: AccessTokenSigner,
      inject: [KeyRing, USER_CONFIG, CLOCK],
      useFactory: (keys: KeyRing, config: UserConfig, clock: Clock) =>
        new AccessTokenSigner(keys, config.ACCESS_TOKEN_TTL_SECONDS, clock),
    },
    {
      provide: LOCKOUT_POLICY,
      inject: [USER_CONFIG],
      useFactory: (config: UserConfig): LockoutPolicy => ({
        maxFailures: config.LOGIN_MAX_FAILURES,
        windowMs: config.LOGIN_FAILURE_WINDOW_MINUTES * MINUTE_MS,
        lockoutMs: config.LOCKOUT_MINUTES * MINUTE_MS,
      }),
    },
    {
      provide: REFRESH_TOKEN_TTL_SECONDS,
      inject: [USER_CONFIG],
      useFactory: (config: UserConfig) => config.REFRESH_TOKEN_TTL_SECONDS,
    },
  ],
  exports: [RefreshTokens, LoginLockout],
})
export class AuthModule {}
