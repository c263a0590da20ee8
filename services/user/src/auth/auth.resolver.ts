import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { validateInput } from '@servicedesk/platform';
import { registerInputSchema } from '../users/user.inputs';
import { loginArgsSchema, refreshTokenArgsSchema } from './auth.inputs';
import { AuthPayload, AuthService } from './auth.service';

/** The anonymous entry points: they need no signed-in user, only the gateway's credential. */
@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Mutation('register')
  register(@Args('input') input: unknown): Promise<AuthPayload> {
    return this.auth.register(validateInput(registerInputSchema, input, 'input'));
  }

  @Mutation('login')
  login(@Args('email') email: string, @Args('password') password: string): Promise<AuthPayload> {
    const args = validateInput(loginArgsSchema, { email, password });
    return this.auth.login(args.email, args.password);
  }

  @Mutation('refreshToken')
  refreshToken(@Args('refreshToken') refreshToken: string): Promise<AuthPayload> {
    return this.auth.refresh(validateInput(refreshTokenArgsSchema, { refreshToken }).refreshToken);
  }

  @Mutation('logout')
  logout(@Args('refreshToken') refreshToken: string): Promise<boolean> {
    return this.auth.logout(validateInput(refreshTokenArgsSchema, { refreshToken }).refreshToken);
  }
}
