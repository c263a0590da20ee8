import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { ForbiddenError, requireIdentity, validateInput } from '@servicedesk/platform';
import { eraseUserArgsSchema } from '../users/user.inputs';
import { ErasedUser, UserErasure } from './user-erasure.service';

@Resolver()
export class UserErasureResolver {
  constructor(private readonly erasure: UserErasure) {}

  /** People erase their own account; admins erase anyone's. */
  @Mutation('eraseUser')
  eraseUser(@Args('userId') userId: string): Promise<ErasedUser> {
    const caller = requireIdentity();
    const args = validateInput(eraseUserArgsSchema, { userId });
    if (caller.userId !== args.userId && caller.role !== 'ADMIN') {
      throw new ForbiddenError('only admins may erase an account other than their own');
    }
    return this.erasure.erase(caller.userId, args.userId);
  }
}
