import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, isEvent } from '@servicedesk/contracts';
import { LOGGER, Logger } from '@servicedesk/platform';
import { EventHandler, Tx } from '@servicedesk/messaging';
import { PersonalDataEraser } from '../erasure/personal-data.eraser';
import { UserDirectory } from './user-directory.service';

/**
 * Keeps `known_users` in step with the user service (see `ticket.subscriptions.ts`), and on
 * `user.erased` forgets the person's texts in the same transaction as their tombstone.
 */
@Injectable()
export class UserDirectoryHandler implements EventHandler {
  constructor(
    private readonly directory: UserDirectory,
    private readonly eraser: PersonalDataEraser,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

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
      const { userId } = event.payload;
      await this.directory.recordErasure(tx.manager, userId, occurredAt);
      const erased = await this.eraser.erase(tx, userId, occurredAt);
      this.logger.info(
        { erasedUserId: userId, ...erased },
        "erased user's tickets and comments redacted",
      );
    }
  }
}
