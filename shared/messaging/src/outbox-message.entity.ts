import { Column, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

export type OutboxStatus = 'PENDING' | 'PUBLISHED' | 'FAILED';

/**
 * One event waiting for (or done with) the relay. Written only by `Tx.emit`, in the
 * transaction of the state change it describes; the schema comes from the DataSource.
 */
@Entity({ name: 'outbox' })
@Index('outbox_aggregate_idx', ['aggregateType', 'aggregateId', 'seq'])
export class OutboxMessage {
  /** The event id: also the AMQP messageId and the consumers' deduplication key. */
  @PrimaryColumn('uuid')
  id!: string;

  /** Write order; the relay publishes by it, so per aggregate it is the publish order. */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq!: string;

  @Column({ name: 'aggregate_type', type: 'text' })
  aggregateType!: string;

  @Column({ name: 'aggregate_id', type: 'text' })
  aggregateId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ type: 'jsonb' })
  envelope!: Record<string, unknown>;

  /** AMQP headers to publish with (trace context). */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  headers!: Record<string, string>;

  @Column({ type: 'text', default: 'PENDING' })
  status!: OutboxStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
