/**
 * Query limits: an operation too deep, too wide, too long, too costly or carrying more than one
 * sensitive mutation is refused while Apollo parses and validates it, before any plan or subgraph call.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  GraphQLFormattedError,
  Kind,
  OperationTypeNode,
  ParseOptions,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';

export const QUERY_LIMIT_EXCEEDED = 'QUERY_LIMIT_EXCEEDED';

/** The configured bounds on one operation; each is named in `extensions.limit` when it refuses one. */
export interface QueryLimits {
  depth: number;
  aliases: number;
  tokens: number;
  directives: number;
  cost: number;
}

export type QueryLimit = keyof QueryLimits | 'sensitiveMutations';

/** Root mutations that create or end sign-ins or change who may do what; abused in bulk, one request at a time is enough. */
export const SENSITIVE_MUTATIONS: ReadonlySet<string> = new Set([
  'register',
  'login',
  'refreshToken',
  'logout',
  'setUserRole',
  'eraseUser',
]);
const MAX_SENSITIVE_MUTATIONS = 1;

function queryLimitError(limit: QueryLimit, max: number, message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: QUERY_LIMIT_EXCEEDED, limit, max },
  });
}

/** Reports a refusal by one of Armor's rules under our code (Armor prefixes its messages "Syntax Error: "). */
function reportTo(limit: QueryLimit, max: number) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(
          queryLimitError(limit, max, error.message.replace(/^Syntax Error: /, '')),
        ),
    ],
  };
}

/** Response keys of sensitive root fields, through fragments; fields under one key run once. */
function sensitiveResponseKeys(
  selectionSet: SelectionSetNode,
  context: ValidationContext,
  keys: Set<string>,
  spread: Set<string>,
): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (SENSITIVE_MUTATIONS.has(selection.name.value)) {
        keys.add(selection.alias?.value ?? selection.name.value);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      sensitiveResponseKeys(selection.selectionSet, context, keys, spread);
    } else if (!spread.has(selection.name.value)) {
      spread.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) sensitiveResponseKeys(fragment.selectionSet, context, keys, spread);
    }
  }
  return keys;
}

const sensitiveMutationsRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation !== OperationTypeNode.MUTATION) return false;
    const found = sensitiveResponseKeys(operation.selectionSet, context, new Set(), new Set()).size;
    if (found > MAX_SENSITIVE_MUTATIONS) {
      context.reportError(
        queryLimitError(
          'sensitiveMutations',
          MAX_SENSITIVE_MUTATIONS,
          `Sensitive mutations limit of ${MAX_SENSITIVE_MUTATIONS} per operation exceeded, found ${found}.`,
        ),
      );
    }
    return false;
  },
});

/**
 * Armor's validation rules for depth, aliases, directives and cost, plus the sensitive-mutation
 * rule. Fragments are flattened so that depth and cost follow the shape of the answer, and
 * aliased `__typename` counts like any alias (Armor's default lets it through unbounded).
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const { validationRules } = new ApolloArmor({
    // Masked by the error formatter instead: Armor's pattern misses "Did you mean the enum value …?".
    blockFieldSuggestion: { enabled: false },
    // Armor's Apollo token plugin parses every document a second time and throws from a
    // lifecycle hook, which Apollo Server 5 answers as an internal error: graphql-js's own
    // `maxTokens` stops the one parse Apollo does instead (see `queryLimitParseOptions`).
    maxTokens: { enabled: false },
    maxDepth: { ...reportTo('depth', limits.depth), n: limits.depth, flattenFragments: true },
    maxAliases: { ...reportTo('aliases', limits.aliases), n: limits.aliases, allowList: [] },
    maxDirectives: { ...reportTo('directives', limits.directives), n: limits.directives },
    costLimit: { ...reportTo('cost', limits.cost), maxCost: limits.cost, flattenFragments: true },
  }).protect();
  return [...validationRules, sensitiveMutationsRule];
}

export function queryLimitParseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.tokens };
}

/** graphql-js's words when `maxTokens` stops a parse (16.x spells it "more that"). */
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\./;

/**
 * Apollo files every validation error under GRAPHQL_VALIDATION_FAILED and every parse error
 * under GRAPHQL_PARSE_FAILED, whatever code it carried: a refusal by a limit gets its own back.
 */
export function asQueryLimitRefusal(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const extensions = formatted.extensions ?? {};
  if (extensions.code === 'GRAPHQL_VALIDATION_FAILED' && typeof extensions.limit === 'string') {
    return { ...formatted, extensions: { ...extensions, code: QUERY_LIMIT_EXCEEDED } };
  }
  const tokens =
    extensions.code === 'GRAPHQL_PARSE_FAILED' && TOKEN_LIMIT_MESSAGE.exec(formatted.message);
  if (tokens) {
    const max = Number(tokens[1]);
    return {
      message: `Token limit of ${max} exceeded.`,
      extensions: { ...extensions, code: QUERY_LIMIT_EXCEEDED, limit: 'tokens', max },
    };
  }
  return formatted;
}
