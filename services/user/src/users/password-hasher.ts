import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): costly to guess, cheap enough to serve. */
const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

@Injectable()
export class PasswordHasher {
  private decoy?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    return argon2.verify(passwordHash, password);
  }

  /** True for hashes made with weaker parameters than today's; they are replaced at the next login. */
  needsRehash(passwordHash: string): boolean {
    return argon2.needsRehash(passwordHash, ARGON2_OPTIONS);
  }

  /**
   * Spends the same work as `verify` for an email nobody registered, so response times
   * do not tell which emails have an account. Always false.
   */
  async verifyNothing(password: string): Promise<false> {
    this.decoy ??= this.hash(randomBytes(16).toString('hex'));
    await argon2.verify(await this.decoy, password);
    return false;
  }
}
