import { currentIdentity, requireIdentity, requireRole } from './authorization';
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
