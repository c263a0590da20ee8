import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope } from '@servicedesk/contracts';
import { LOGGER, Logger } from '@servicedesk/platform';
import { EventHandler, Tx } from '@servicedesk/messaging';
import { AuditRecorder } from './audit-recorder.service';

/** Records every event it receives, in the consumer's inbox transaction. */
@Injectable()
export class AuditEventHandler implements EventHandler {
  constructor(
    private readonly recorder: AuditRecorder,
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
  }
}
