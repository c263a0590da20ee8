// What one GraphQL operation costs against each rate limit, worked out from the parsed
// operation, its variables and the caller. Pure: the limiter only spends what this returns.
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import {
  FieldNode,
  FragmentDefinitionNode,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

export const RATE_LIMIT_NAMES = [
  'anonymous',
  'login_per_address',
  'login_per_account',
  'register_per_address',
  'mutations_per_user',
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/** `points` to spend from the counter `key` of `limit`. */
export interface Charge {
  limit: RateLimitName;
  key: string;
  points: number;
}

export interface Caller {
  /** Null when the request carries no access token. */
  userId: string | null;
  /** The client's address as `addressKey` gives it. */
  address: string;
}

export interface Operation {
  operation: OperationDefinitionNode;
  fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  variables: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The counter key of a client address. An IPv6 client usually holds a whole /64, so it is
 * counted as one; an IPv4 address mapped into IPv6 is counted as the IPv4 address.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups].slice(0, 4);
  return `${groups.map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Emails are counted under a digest: the store never holds an address in clear. */
function accountKey(email: unknown): string {
  const normalised = typeof email === 'string' ? email.trim().toLowerCase() : '';
  return createHash('sha256').update(normalised).digest('base64url').slice(0, 22);
}

/** The operation's root fields, fragments at the root included (each alias is a field of its own). */
function rootFields(
  selectionSet: SelectionSetNode,
  fragments: Operation['fragments'],
  seen = new Set<string>(),
): FieldNode[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT)
      return rootFields(selection.selectionSet, fragments, seen);
    const fragment = fragments[selection.name.value];
    if (!fragment || seen.has(fragment.name.value)) return [];
    seen.add(fragment.name.value);
    return rootFields(fragment.selectionSet, fragments, seen);
  });
}

function argument(field: FieldNode, name: string, variables: Operation['variables']): unknown {
  const node = field.arguments?.find((candidate) => candidate.name.value === name);
  return node ? valueFromASTUntyped(node.value, variables as Record<string, unknown>) : undefined;
}

/**
 * Every operation without an access token costs one `anonymous` point per address; each
 * `login` field costs a point per address and per account; each `register` field a point per
 * address; each mutation field of a signed-in user a point of theirs.
 */
export function chargesOf(
  { operation, fragments, variables }: Operation,
  caller: Caller,
): Charge[] {
  const charges = new Map<string, Charge>();
  const charge = (limit: RateLimitName, key: string) => {
    const existing = charges.get(`${limit}\n${key}`);
    if (existing) existing.points += 1;
    else charges.set(`${limit}\n${key}`, { limit, key, points: 1 });
  };
  if (caller.userId === null) charge('anonymous', caller.address);
  if (operation.operation !== 'mutation') return [...charges.values()];

  for (const field of rootFields(operation.selectionSet, fragments)) {
    const name = field.name.value;
    if (name === '__typename') continue;
    if (caller.userId !== null) charge('mutations_per_user', caller.userId);
    if (name === 'login') {
      charge('login_per_address', caller.address);
      charge('login_per_account', accountKey(argument(field, 'email', variables)));
    } else if (name === 'register') {
      charge('register_per_address', caller.address);
    }
  }
  return [...charges.values()];
}
