/**
 * What an erased account holds instead of its personal data. The row itself stays, so the
 * id other services refer to (tickets, appointments, the audit log) still names an account.
 */
export const ERASED_NAME = 'Erased user';

/**
 * `.invalid` is reserved (RFC 2606): no mailbox can exist there, and since `register`
 * refuses the domain, no account can claim an address an erasure will need.
 */
const RESERVED_TOP_LEVEL_DOMAIN = '.invalid';

/** Unique per account, so the unique index on emails holds and the real address is freed. */
export function erasedEmail(userId: string): string {
  return `erased-${userId}@erased${RESERVED_TOP_LEVEL_DOMAIN}`;
}

export function isReservedEmail(email: string): boolean {
  return email.toLowerCase().endsWith(RESERVED_TOP_LEVEL_DOMAIN);
}

/**
 * Replaces the password hash: not an argon2 string, so it matches no password (as "!" in a
 * shadow file). Login turns erased accounts away before any verification anyway.
 */
export const ERASED_PASSWORD_HASH = '!erased';

/** Where someone lives is a hint to who they are: an erased account keeps the neutral zone. */
export const ERASED_TIME_ZONE = 'UTC';
