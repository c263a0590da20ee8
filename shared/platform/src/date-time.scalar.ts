import { CustomScalar, Scalar } from '@nestjs/graphql';
import { Kind, ValueNode } from 'graphql';
import { z } from 'zod';
import { BadUserInputError } from './errors';

/**
 * A full date-time with an explicit offset (`Z` or `±hh:mm`): `new Date()` alone would accept
 * "1" or "March 7" and read an offset-less time in the server's own time zone.
 */
const isoDateTime = z.iso.datetime({ offset: true });
const MESSAGE = 'must be an ISO-8601 date-time with an offset, e.g. 2025-01-31T09:30:00.000Z';

function toDate(value: unknown): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value !== 'string' || !isoDateTime.safeParse(value).success) {
    throw new BadUserInputError('DateTime', MESSAGE);
  }
  return new Date(value);
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
    if (ast.kind !== Kind.STRING) throw new BadUserInputError('DateTime', MESSAGE);
    return toDate(ast.value);
  }
}
