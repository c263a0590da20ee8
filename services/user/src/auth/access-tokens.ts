import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { Role } from '@servicedesk/contracts';
import { Clock } from '@servicedesk/platform';
import { KeyRing } from './signing-keys';

/** Who issues access tokens and for whom: verifiers check both claims. */
export const ACCESS_TOKEN_ISSUER = 'servicedesk-user';
export const ACCESS_TOKEN_AUDIENCE = 'servicedesk';

export interface AccessToken {
  token: string;
  /** Seconds until the token expires. */
  expiresIn: number;
}

/**
 * Signs short-lived access tokens: a JWT whose header names the key (`kid`) and whose
 * claims say who the user is (`sub`) and what they may do (`role`). The role is fixed for
 * the token's lifetime; a role change takes effect at the next refresh.
 */
export class AccessTokenSigner {
  constructor(
    private readonly keys: KeyRing,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {}

  async sign(subject: { id: string; role: Role }): Promise<AccessToken> {
    const { kid, alg, privateKey } = this.keys.signingKey;
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const token = await new SignJWT({ role: subject.role })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setSubject(subject.id)
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(privateKey);
    return { token, expiresIn: this.ttlSeconds };
  }
}
