import { Injectable } from '@nestjs/common';
import { EventEnvelope, isEvent } from '@servicedesk/contracts';
import { EventHandler, Tx } from '@servicedesk/messaging';
import { UserDirectory } from './user-directory.service';

/** Keeps `known_users` in step with the user service (see `ticket.subscriptions.ts`). */
@Injectable()
export class UserDirectoryHandler implements EventHandler {
  constructor(private readonly directory: UserDirectory) {}

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    const occurredAt = new Date(event.occurredAt);
    if (isEvent(event, 'user.registered') || isEvent(event, 'user.role_changed')) {
      await this.directory.recordRole(
        tx.manager,
        event.payload.userId,
        event.payload.role,
        occurredAt,
      );
    } else if (isEvent(event, 'user.erased')) {
      await this.directory.recordErasure(tx.manager, event.payload.userId, occurredAt);
    }
  }
}
