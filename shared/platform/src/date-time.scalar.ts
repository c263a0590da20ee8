import { CustomScalar, Scalar } from '@nestjs/graphql';
import { Kind, ValueNode } from 'graphql';
import { BadUserInputError } from './errors';

function toDate(value: unknown): Date {
  const date =
    value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new BadUserInputError('DateTime', 'must be an ISO-8601 date-time');
  return date;
}

/**
 * `DateTime`: ISO-8601 in UTC with milliseconds on the wire, `Date` in resolvers. A service
 * whose schema declares `scalar DateTime` lists it among its providers to get this mapping.
 */
@Scalar('DateTime')
export class DateTimeScalar implements CustomScalar<string, Date> {
  serialize(value: unknown): string {
    return toDate(value).toISOString();
  }

  parseValue(value: unknown): Date {
    return toDate(value);
  }

  parseLiteral(ast: ValueNode): Date {
    if (ast.kind !== Kind.STRING)
      throw new BadUserInputError('DateTime', 'must be an ISO-8601 date-time string');
    return toDate(ast.value);
  }
}
