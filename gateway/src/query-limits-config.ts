// The gateway's query-limit variables: how deep, how many aliases, tokens and directives, and
// how costly one operation may be. Defaults leave every operation of the product's clients room.
import { z } from 'zod';
import { QueryLimits } from './query-limits';

const bound = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const queryLimitShape = {
  /** Nested field levels; a connection's `edges { node { … } }` takes two. */
  QUERY_MAX_DEPTH: bound(10),
  /** Aliased fields in the whole document, `__typename` included. */
  QUERY_MAX_ALIASES: bound(20),
  /** Lexical tokens of the document; past it parsing stops. */
  QUERY_MAX_TOKENS: bound(2_000),
  QUERY_MAX_DIRECTIVES: bound(20),
  /** GraphQL Armor's cost: 2 per object, 1 per scalar, ×1.5 per level, × a literal `first`. */
  QUERY_MAX_COST: bound(10_000),
};

type QueryLimitVariables = { [name in keyof typeof queryLimitShape]: number };

export function queryLimitsOf(config: QueryLimitVariables): QueryLimits {
  return {
    depth: config.QUERY_MAX_DEPTH,
    aliases: config.QUERY_MAX_ALIASES,
    tokens: config.QUERY_MAX_TOKENS,
    directives: config.QUERY_MAX_DIRECTIVES,
    cost: config.QUERY_MAX_COST,
  };
}
