import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope } from '@servicedesk/contracts';
import { LOGGER, Logger } from '@servicedesk/platform';
import { BatchEventHandler, Tx } from '@servicedesk/messaging';
import { PersonalDataVault } from '../personal-data/personal-data.vault';
import { subjectErasedBy } from '../personal-data/personal-payload';
import { AuditRecorder } from './audit-recorder.service';

/**
 * Records every event it receives, in the consumer's inbox transaction, a whole batch at a
 * time when the consumer hands one over; `user.erased` is recorded first, then the person's
 * key is destroyed in the same transaction (later events of the batch about them already
 * recorded as erased).
 */
@Injectable()
export class AuditEventHandler implements BatchEventHandler {
  constructor(
    private readonly recorder: AuditRecorder,
    private readonly vault: PersonalDataVault,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handle(event: EventEnvelope, tx: Tx): Promise<void> {
    return this.handleBatch([event], tx);
  }

  async handleBatch(events: readonly EventEnvelope[], tx: Tx): Promise<void> {
    const entries = await this.recorder.appendBatch(events, tx.manager);
    for (const entry of entries) {
      this.logger.debug(
        { eventId: entry.eventId, type: entry.type, seq: entry.seq },
        'event audited',
      );
    }
    const erasures = events.flatMap((event) => {
      const subjectId = subjectErasedBy(event);
      return subjectId === null ? [] : [{ subjectId, erasedAt: new Date(event.occurredAt) }];
    });
    if (erasures.length === 0) return;
    await this.vault.forget(tx.manager, erasures);
    for (const { subjectId } of erasures) {
      this.logger.info(
        { erasedUserId: subjectId },
        "erased user's personal data in the audit log made unreadable",
      );
    }
  }
}
