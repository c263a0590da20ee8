import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A failed (or not yet checked) login of a known account; kept only as long as the lockout window needs it. */
@Entity({ name: 'login_failures' })
export class LoginFailureEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'attempted_at', type: 'timestamptz', precision: 3 })
  attemptedAt!: Date;
}
