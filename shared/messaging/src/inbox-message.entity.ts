import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * "Consumer X has applied message Y": written in the same transaction as the handler's
 * effect, so a redelivered message finds its row and is skipped.
 */
@Entity({ name: 'inbox' })
export class InboxMessage {
  /** The work queue that consumed the message. */
  @PrimaryColumn({ type: 'text' })
  consumer!: string;

  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  messageId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;
}
