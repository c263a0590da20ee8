import { Identity } from '@servicedesk/platform';
import { UserEntity } from './user.entity';

/**
 * A user as handed to GraphQL. `seenByOwner` marks the user of an AuthPayload: whoever
 * just signed in (or up) as this user may see all of it, although the request itself
 * carried no identity yet.
 */
export type UserView = Omit<UserEntity, 'passwordHash'> & { seenByOwner?: boolean };

export function ownerView(user: UserEntity): UserView {
  const { passwordHash: _secret, ...visible } = user;
  return { ...visible, seenByOwner: true };
}

/** Email addresses are visible to their owner, to agents and to admins. */
export function canSeeEmail(viewer: Identity | null, user: UserView): boolean {
  if (user.seenByOwner) return true;
  if (!viewer) return false;
  return viewer.userId === user.id || viewer.role === 'AGENT' || viewer.role === 'ADMIN';
}
