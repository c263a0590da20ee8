import { Module } from '@nestjs/common';
import { DateTimeScalar } from '@servicedesk/platform';
import { AdminBootstrap } from './admin-bootstrap.service';
import { PasswordHasher } from './password-hasher';
import { UserLoader } from './user.loader';
import { UsersResolver } from './users.resolver';
import { UsersService } from './users.service';

/** Accounts: who exists, with which role; the `User` entity of the graph. */
@Module({
  providers: [
    UsersService,
    UsersResolver,
    UserLoader,
    PasswordHasher,
    AdminBootstrap,
    DateTimeScalar,
  ],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
