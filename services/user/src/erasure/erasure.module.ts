import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { UserErasureResolver } from './user-erasure.resolver';
import { UserErasure } from './user-erasure.service';

/** The right to erasure: forgetting a person while keeping the id others refer to. */
@Module({
  imports: [UsersModule, AuthModule],
  providers: [UserErasure, UserErasureResolver],
})
export class ErasureModule {}
