import { ForbiddenError, Identity } from '@servicedesk/platform';

/**
 * Whose calendar a command manages: the caller's own unless `agentId` names someone else,
 * which only admins may do. (Whether that person is an agent is checked against the directory.)
 */
export function calendarOwner(actor: Identity, agentId?: string | null): string {
  if (!agentId || agentId === actor.userId) return actor.userId;
  if (actor.role !== 'ADMIN') {
    throw new ForbiddenError("Only admins may manage another agent's calendar");
  }
  return agentId;
}

/** An agent's settings and time off are theirs and the admins' to see. */
export function canSeeCalendar(viewer: Identity, agentId: string): boolean {
  return viewer.role === 'ADMIN' || viewer.userId === agentId;
}
