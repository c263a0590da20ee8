import { randomUUID } from 'node:crypto';
import { Actor, Role } from '@servicedesk/contracts';
import { Identity } from '@servicedesk/platform';

/** A signed-in person of `role`; ids are fresh so tests never see each other's data. */
export function anIdentity(role: Role, userId: string = randomUUID()): Identity {
  return { userId, role };
}

/** The actor of the events `identity` causes. */
export function actorOf(identity: Identity): NonNullable<Actor> {
  return { id: identity.userId, role: identity.role };
}
