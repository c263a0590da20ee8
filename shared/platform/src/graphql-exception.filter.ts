import { ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { GqlContextType } from '@nestjs/graphql';

/**
 * Errors thrown in resolvers go back to Apollo untouched: `formatGraphQLError` maps them to
 * the contract's codes and logs only the unexpected ones. Without this filter Nest would log
 * every expected error (a NOT_FOUND, a BAD_USER_INPUT) at error level with its stack.
 * Errors of plain HTTP routes keep Nest's default handling.
 */
@Catch()
export class GraphQLExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() === 'graphql') return exception;
    return super.catch(exception, host);
  }
}
