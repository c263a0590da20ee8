import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, isEvent } from '@servicedesk/contracts';
import { LOGGER, Logger } from '@servicedesk/platform';
import { EventHandler, Tx } from '@servicedesk/messaging';
import { PersonalDataVault } from '../personal-data/personal-data.vault';
import { AuditRecorder } from './audit-recorder.service';

/**
 * Records every event it receives, in the consumer's inbox transaction; `user.erased` is
 * recorded first, then the person's key is destroyed in the same transaction.
 */
@Injectable()
export class AuditEventHandler implements EventHandler {
  constructor(
    private readonly recorder: AuditRecorder,
    private readonly vault: PersonalDataVault,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    const entry = await this.recorder.append(event, tx.manager);
    if (entry) {
      this.logger.debug(
        { eventId: entry.eventId, type: entry.type, seq: entry.seq },
        'event audited',
      );
    }
    if (isEvent(event, 'user.erased')) {
      await this.vault.forget(tx.manager, event.payload.userId, new Date(event.occurredAt));
      this.logger.info(
        { erasedUserId: event.payload.userId },
        "erased user's personal data in the audit log made unreadable",
      );
    }
  }
}
