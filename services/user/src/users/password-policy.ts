/**
 * What a new password must satisfy. Length matters most, so the rules are few: long
 * enough, not a single kind of character, not a handful of characters repeated, and not
 * built from the account's own email address.
 */
export const PASSWORD_MIN_LENGTH = 12;
/** Hashing cost grows with input; nobody types more than this. */
export const PASSWORD_MAX_LENGTH = 128;
const MIN_DISTINCT_CHARACTERS = 5;
/** Shorter local parts ("jo@…") would forbid too many innocent passwords. */
const MIN_LOCAL_PART_CHECKED = 3;

const CHARACTER_CLASSES: RegExp[] = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u];

export interface PasswordOwner {
  email: string;
}

/** The first rule `password` breaks, as a sentence for the person choosing it; null when it is acceptable. */
export function passwordPolicyViolation(password: string, owner: PasswordOwner): string | null {
  const characters = [...password];
  if (characters.length < PASSWORD_MIN_LENGTH) {
    return `password must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  }
  if (characters.length > PASSWORD_MAX_LENGTH) {
    return `password must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  }
  const classes = CHARACTER_CLASSES.filter((pattern) => pattern.test(password)).length;
  if (classes < 2) {
    return 'password must mix at least two kinds of characters (lower case, upper case, digits, symbols)';
  }
  if (new Set(characters).size < MIN_DISTINCT_CHARACTERS) {
    return `password must use at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  }
  const localPart = owner.email.split('@')[0]?.toLowerCase() ?? '';
  if (localPart.length >= MIN_LOCAL_PART_CHECKED && password.toLowerCase().includes(localPart)) {
    return 'password must not contain the part of your email address before the @';
  }
  return null;
}
