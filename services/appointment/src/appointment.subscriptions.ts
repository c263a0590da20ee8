import type { SubscriptionDeclaration } from '@servicedesk/messaging';
import { DirectoryHandler } from './directory/directory.handler';
import { ParticipantErasureHandler } from './erasure/participant-erasure.handler';

/** Everything the appointment service reacts to; the events bound to each queue are in the registry. */
export const appointmentSubscriptions: SubscriptionDeclaration[] = [
  {
    // Who can be booked (agents), who can be booked for, and which tickets belong to whom:
    // learnt from the owners' events, never asked synchronously.
    queue: 'appointment.directory',
    handler: DirectoryHandler,
  },
  {
    // An erasure cancels and scrubs appointments too, so it has its own queue and handler.
    queue: 'appointment.erasure',
    handler: ParticipantErasureHandler,
  },
];
