import { Role } from '@servicedesk/contracts';
import { Identity, currentContext } from './context';
import { ForbiddenError, UnauthenticatedError } from './errors';

/** The verified end user of the current request, or null for an anonymous call. */
export function currentIdentity(): Identity | null {
  return currentContext()?.identity ?? null;
}

export function requireIdentity(): Identity {
  const identity = currentIdentity();
  if (!identity) throw new UnauthenticatedError('You must be signed in');
  return identity;
}

/** The signed-in identity, if it holds one of `roles`; otherwise UNAUTHENTICATED or FORBIDDEN. */
export function requireRole(...roles: Role[]): Identity {
  const identity = requireIdentity();
  if (!roles.includes(identity.role)) {
    throw new ForbiddenError(`This operation requires the role ${roles.join(' or ')}`);
  }
  return identity;
}
