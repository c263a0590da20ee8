import { z } from 'zod';
import { BadUserInputError } from './errors';

/**
 * Validates client input with a zod schema and returns the parsed value. The first issue
 * becomes a `BadUserInputError` whose `field` is the dotted path of the offending value,
 * prefixed by `root` (the argument name): `validateInput(schema, input, 'input')` reports
 * `input.email`; array items appear as `input.tags.2`. The message names the field too
 * (`input.email: must be a valid email address`).
 */
export function validateInput<S extends z.ZodTypeAny>(
  schema: S,
  input: unknown,
  root?: string,
): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as z.infer<S>;
  const issue = parsed.error.issues[0];
  const segments = [...(root ? [root] : []), ...issue.path.map(String)];
  const field = segments.length > 0 ? segments.join('.') : 'input';
  // The field leads the message so it reads on its own in a client's error list.
  throw new BadUserInputError(field, `${field}: ${issue.message}`);
}

const uuid = z.uuid();

/**
 * For ids that arrive unvalidated (federation representations, DataLoader keys): a value
 * that is not a UUID names nothing a service stores, and must not reach a `uuid` column.
 */
export function isUuid(value: unknown): value is string {
  return uuid.safeParse(value).success;
}

/** A UTF-16 half without its pair: no encoding (UTF-8 for PostgreSQL, JSON for events) can carry it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `text` cannot be accepted from a client, or undefined when it can: a NUL (U+0000),
 * which PostgreSQL text cannot hold, or an unpaired surrogate.
 */
export function unreadableTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain unpaired surrogates (invalid Unicode)';
  return undefined;
}
