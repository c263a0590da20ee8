import { Role } from '@servicedesk/contracts';
import { Identity, RequestContext, currentContext } from './context';
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

/**
 * State that lives as long as one signed-in request (typically its DataLoaders, which see
 * what that request's identity may see): created on first use, keyed on the request context
 * the platform opens for each request, so it works under any GraphQL context and dies with it.
 */
export class PerRequest<T> {
  private readonly byRequest = new WeakMap<RequestContext, T>();

  constructor(private readonly create: (identity: Identity) => T) {}

  /** The current request's state; UNAUTHENTICATED outside a signed-in request. */
  current(): T {
    const identity = requireIdentity();
    // An identity comes from the request context, so there is one.
    const context = currentContext() as RequestContext;
    let state = this.byRequest.get(context);
    if (state === undefined) {
      state = this.create(identity);
      this.byRequest.set(context, state);
    }
    return state;
  }
}
