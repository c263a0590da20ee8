import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The queues a service consumes, recorded by the service itself when its consumers start,
 * so operators' tools find every dead-letter queue without a hand-kept list.
 */
@Entity({ name: 'messaging_subscriptions' })
export class SubscriptionRecord {
  @PrimaryColumn({ type: 'text' })
  queue!: string;

  @Column({ type: 'text', array: true })
  events!: string[];

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
