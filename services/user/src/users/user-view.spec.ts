import { randomUUID } from 'node:crypto';
import { Role } from '@servicedesk/contracts';
import { UserEntity } from './user.entity';
import { canSeeEmail, ownerView } from './user-view';

function aUser(): UserEntity {
  const now = new Date();
  return {
    id: randomUUID(),
    email: 'someone@example.com',
    name: 'Someone',
    role: 'CUSTOMER',
    timeZone: 'UTC',
    passwordHash: 'hash',
    lockedUntil: null,
    erasedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

const viewer = (role: Role, userId: string = randomUUID()) => ({ userId, role });

describe('canSeeEmail', () => {
  const user = aUser();

  it('lets users see their own email', () => {
    expect(canSeeEmail(viewer('CUSTOMER', user.id), user)).toBe(true);
  });

  it("lets agents and admins see anyone's email", () => {
    expect(canSeeEmail(viewer('AGENT'), user)).toBe(true);
    expect(canSeeEmail(viewer('ADMIN'), user)).toBe(true);
  });

  it('hides it from other customers and from anonymous callers', () => {
    expect(canSeeEmail(viewer('CUSTOMER'), user)).toBe(false);
    expect(canSeeEmail(null, user)).toBe(false);
  });

  it('shows it in the payload of the sign-in that proved ownership', () => {
    expect(canSeeEmail(null, ownerView(user))).toBe(true);
  });
});
