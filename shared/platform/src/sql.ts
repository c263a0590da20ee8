import { EntityManager } from 'typeorm';

/** Collects positional parameters while a SQL text is assembled: `add` returns its `$n`. */
export class SqlParameters {
  private readonly collected: unknown[] = [];

  add(value: unknown, cast?: string): string {
    this.collected.push(value);
    const placeholder = `$${this.collected.length}`;
    return cast ? `${placeholder}::${cast}` : placeholder;
  }

  get values(): unknown[] {
    return [...this.collected];
  }
}

/**
 * The rows a statement returns, whatever its kind. (`EntityManager.query` returns
 * `[rows, count]` for UPDATE and DELETE, so `UPDATE … RETURNING` needs the structured result.)
 * Inside a transaction the statement runs on the transaction's connection.
 */
export async function queryRows<T>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    return (result.records ?? []) as T[];
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}

/** PostgreSQL's SQLSTATE of a failed statement, as TypeORM wraps it. */
export function sqlStateOf(error: unknown): string | undefined {
  const driverError = (error as { driverError?: { code?: unknown } } | null)?.driverError;
  return typeof driverError?.code === 'string' ? driverError.code : undefined;
}

/** An exclusion constraint refused the row (two rows whose ranges must not overlap). */
export const EXCLUSION_VIOLATION = '23P01';
