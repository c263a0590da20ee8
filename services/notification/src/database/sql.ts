import { EntityManager } from 'typeorm';

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
