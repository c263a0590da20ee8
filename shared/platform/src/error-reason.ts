// Kept apart from startup-dependencies.ts, which loads the PostgreSQL driver: a process that
// only starts and stops (the gateway) words its failures without loading it.

/** An error's own words; a failed connection to several addresses explains itself in its parts. */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return error.errors.map(reasonOf).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
