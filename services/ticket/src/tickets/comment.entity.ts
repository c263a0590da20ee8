import { Column, Entity, PrimaryColumn } from 'typeorm';

/** `ticket.comments`: a reply on a ticket. Internal comments are for the support team only. */
@Entity({ name: 'comments' })
export class CommentEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'ticket_id', type: 'uuid' })
  ticketId!: string;

  @Column({ name: 'author_id', type: 'uuid' })
  authorId!: string;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'boolean' })
  internal!: boolean;

  /** When the author was erased and the body redacted. */
  @Column({ name: 'author_erased_at', type: 'timestamptz', precision: 3, nullable: true })
  authorErasedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}

export type Comment = { [K in keyof CommentEntity]: CommentEntity[K] };

export function commentColumns(alias: string): string {
  return [
    `${alias}.id AS "id"`,
    `${alias}.ticket_id AS "ticketId"`,
    `${alias}.author_id AS "authorId"`,
    `${alias}.body AS "body"`,
    `${alias}.internal AS "internal"`,
    `${alias}.author_erased_at AS "authorErasedAt"`,
    `${alias}.created_at AS "createdAt"`,
  ].join(', ');
}
