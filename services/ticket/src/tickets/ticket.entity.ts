import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TicketPriority, TicketStatus } from './ticket-status';

/** `ticket.tickets`: one support request. Times are kept to the millisecond (see the migration). */
@Entity({ name: 'tickets' })
export class TicketEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'varchar', length: 32 })
  status!: TicketStatus;

  @Column({ type: 'varchar', length: 16 })
  priority!: TicketPriority;

  @Column({ name: 'requester_id', type: 'uuid' })
  requesterId!: string;

  @Column({ name: 'assignee_id', type: 'uuid', nullable: true })
  assigneeId!: string | null;

  @Column({ type: 'text', array: true })
  tags!: string[];

  @Column({ name: 'first_response_due_at', type: 'timestamptz', precision: 3 })
  firstResponseDueAt!: Date;

  @Column({ name: 'resolution_due_at', type: 'timestamptz', precision: 3 })
  resolutionDueAt!: Date;

  @Column({ name: 'first_responded_at', type: 'timestamptz', precision: 3, nullable: true })
  firstRespondedAt!: Date | null;

  /** When the detector found the first-response target missed; set once. */
  @Column({ name: 'first_response_breached_at', type: 'timestamptz', precision: 3, nullable: true })
  firstResponseBreachedAt!: Date | null;

  /** When the detector found the resolution target missed; set once. */
  @Column({ name: 'resolution_breached_at', type: 'timestamptz', precision: 3, nullable: true })
  resolutionBreachedAt!: Date | null;

  /** When the requester was erased and the title and description redacted. */
  @Column({ name: 'requester_erased_at', type: 'timestamptz', precision: 3, nullable: true })
  requesterErasedAt!: Date | null;

  /** Incremented by every change made through a command; the basis of `expectedVersion`. */
  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}

/** The entity's properties as plain data, the shape every ticket query returns. */
export type Ticket = { [K in keyof TicketEntity]: TicketEntity[K] };

const TICKET_COLUMN_NAMES: Readonly<Record<keyof Ticket, string>> = {
  id: 'id',
  title: 'title',
  description: 'description',
  status: 'status',
  priority: 'priority',
  requesterId: 'requester_id',
  assigneeId: 'assignee_id',
  tags: 'tags',
  firstResponseDueAt: 'first_response_due_at',
  resolutionDueAt: 'resolution_due_at',
  firstRespondedAt: 'first_responded_at',
  firstResponseBreachedAt: 'first_response_breached_at',
  resolutionBreachedAt: 'resolution_breached_at',
  requesterErasedAt: 'requester_erased_at',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

/** A select list that returns rows already shaped as `Ticket`. */
export function ticketColumns(alias: string): string {
  return Object.entries(TICKET_COLUMN_NAMES)
    .map(([property, column]) => `${alias}.${column} AS "${property}"`)
    .join(', ');
}

export function isSlaBreached(ticket: Ticket): boolean {
  return ticket.firstResponseBreachedAt !== null || ticket.resolutionBreachedAt !== null;
}
