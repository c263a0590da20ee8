import {
  Args,
  Context,
  Mutation,
  Parent,
  Query,
  ResolveField,
  ResolveReference,
  Resolver,
} from '@nestjs/graphql';
import { Role } from '@servicedesk/contracts';
import {
  ForbiddenError,
  UnauthenticatedError,
  currentIdentity,
  requireIdentity,
  requireRole,
  validateInput,
} from '@servicedesk/platform';
import { UserEntity } from './user.entity';
import { decodeUserCursor } from './user-cursor';
import { setUserRoleArgsSchema, userArgsSchema, usersArgsSchema } from './user.inputs';
import { UserLoader } from './user.loader';
import { UserView, canSeeEmail } from './user-view';
import { UserPage, UsersService } from './users.service';

@Resolver('User')
export class UsersResolver {
  constructor(
    private readonly usersService: UsersService,
    private readonly loader: UserLoader,
  ) {}

  @Query('me')
  me(@Context() requestContext: object): Promise<UserEntity | null> {
    const viewer = requireIdentity();
    return this.loader.forRequest(requestContext).load(viewer.userId);
  }

  @Query('user')
  user(@Args('id') id: string, @Context() requestContext: object): Promise<UserEntity | null> {
    requireIdentity();
    const args = validateInput(userArgsSchema, { id });
    return this.loader.forRequest(requestContext).load(args.id);
  }

  /** Agents list users too: they pick the agent a ticket is assigned to. */
  @Query('users')
  users(
    @Args('first') first: number | null,
    @Args('after') after: string | null,
    @Args('role') role: Role | null,
  ): Promise<UserPage> {
    requireRole('AGENT', 'ADMIN');
    const args = validateInput(usersArgsSchema, { first, after, role });
    return this.usersService.list({
      first: args.first,
      after: args.after ? decodeUserCursor(args.after) : null,
      role: args.role ?? null,
    });
  }

  @Mutation('setUserRole')
  setUserRole(@Args('userId') userId: string, @Args('role') role: Role): Promise<UserEntity> {
    const actor = requireRole('ADMIN');
    const args = validateInput(setUserRoleArgsSchema, { userId, role });
    return this.usersService.setRole(actor.userId, args.userId, args.role);
  }

  /** Other subgraphs' references to users (ticket requesters, assignees…), batched per request. */
  @ResolveReference()
  resolveReference(reference: { id: string }, requestContext: object): Promise<UserEntity | null> {
    return this.loader.forRequest(requestContext).load(reference.id);
  }

  @ResolveField('email')
  email(@Parent() user: UserView): string {
    const viewer = currentIdentity();
    if (canSeeEmail(viewer, user)) return user.email;
    if (!viewer) throw new UnauthenticatedError('You must be signed in');
    throw new ForbiddenError("only the user themself, agents and admins may see a user's email");
  }
}
