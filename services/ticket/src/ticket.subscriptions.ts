import type { SubscriptionDeclaration } from '@servicedesk/messaging';
import { UserDirectoryHandler } from './directory/user-directory.handler';

/** Everything the ticket service reacts to. */
export const ticketSubscriptions: SubscriptionDeclaration[] = [
  {
    // Who is an agent (assignable) comes from the user service's events, never a synchronous
    // call; `user.erased` also redacts what the person wrote here.
    queue: 'ticket.user-directory',
    events: ['user.registered', 'user.role_changed', 'user.erased'],
    handler: UserDirectoryHandler,
  },
];
