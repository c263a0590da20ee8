import type { SubscriptionDeclaration } from '@servicedesk/messaging';
import { UserDirectoryHandler } from './directory/user-directory.handler';

/** Everything the ticket service reacts to; the events bound to each queue are in the registry. */
export const ticketSubscriptions: SubscriptionDeclaration[] = [
  {
    // Who is an agent (assignable) comes from the user service's events, never a synchronous
    // call; `user.erased` also redacts what the person wrote here.
    queue: 'ticket.user-directory',
    handler: UserDirectoryHandler,
  },
];
