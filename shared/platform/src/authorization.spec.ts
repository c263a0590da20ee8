import { randomUUID } from 'node:crypto';
import { PerRequest, currentIdentity, requireIdentity, requireRole } from './authorization';
import { Identity, runWithContext } from './context';
import { ForbiddenError, UnauthenticatedError } from './errors';

const agent: Identity = { userId: 'u-agent', role: 'AGENT' };

function asCaller<T>(identity: Identity | null, fn: () => T): T {
  return runWithContext({ correlationId: 'c', identity }, fn);
}

describe('authorization helpers', () => {
  it('currentIdentity is the context identity, or null outside a request', () => {
    expect(asCaller(agent, currentIdentity)).toEqual(agent);
    expect(asCaller(null, currentIdentity)).toBeNull();
    expect(currentIdentity()).toBeNull();
  });

  it('requireIdentity throws UNAUTHENTICATED for anonymous calls', () => {
    expect(asCaller(agent, requireIdentity)).toEqual(agent);
    expect(() => asCaller(null, requireIdentity)).toThrow(UnauthenticatedError);
  });

  it('requireRole returns the identity when it holds one of the roles', () => {
    expect(asCaller(agent, () => requireRole('AGENT', 'ADMIN'))).toEqual(agent);
  });

  it('requireRole throws FORBIDDEN for another role and UNAUTHENTICATED without identity', () => {
    expect(() => asCaller(agent, () => requireRole('ADMIN'))).toThrow(ForbiddenError);
    expect(() => asCaller(null, () => requireRole('ADMIN'))).toThrow(UnauthenticatedError);
  });
});

describe('PerRequest', () => {
  const context = (userId: string) => ({
    correlationId: randomUUID(),
    identity: { userId, role: 'CUSTOMER' as const },
  });

  it('creates the state once per request, for that request’s identity', () => {
    const created: string[] = [];
    const perRequest = new PerRequest((identity) => {
      created.push(identity.userId);
      return { owner: identity.userId };
    });
    const first = context('u1');

    const a = runWithContext(first, () => perRequest.current());
    const b = runWithContext(first, () => perRequest.current());
    const c = runWithContext(context('u2'), () => perRequest.current());

    expect(a).toBe(b);
    expect(c).toEqual({ owner: 'u2' });
    expect(created).toEqual(['u1', 'u2']);
  });

  it('is UNAUTHENTICATED outside a signed-in request', () => {
    const perRequest = new PerRequest(() => ({}));
    expect(() =>
      runWithContext({ correlationId: randomUUID(), identity: null }, () => perRequest.current()),
    ).toThrow(UnauthenticatedError);
  });
});
