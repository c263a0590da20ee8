import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '@servicedesk/contracts';

/**
 * `ticket.known_users`: what the ticket service knows of the people of the user service,
 * kept from `user.*` events (never asked synchronously). Only what ticket rules need.
 */
@Entity({ name: 'known_users' })
export class KnownUserEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  /** `occurredAt` of the event that set `role`: an older event never overwrites a newer one. */
  @Column({ name: 'role_as_of', type: 'timestamptz', precision: 3 })
  roleAsOf!: Date;

  /** Tombstone: an erased user is never brought back by a late event. */
  @Column({ name: 'erased_at', type: 'timestamptz', precision: 3, nullable: true })
  erasedAt!: Date | null;
}
