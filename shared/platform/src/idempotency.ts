/**
 * Idempotency keys: a client names a write with a key of its choosing, so that retrying it
 * (say, after a timeout that hid a commit) returns the first result instead of writing twice.
 */
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { z } from 'zod';
import { ConflictError } from './errors';
import { queryRows } from './sql';

export const IDEMPOTENCY_KEY_MAX_LENGTH = 200;

/** The optional `idempotencyKey` argument: printable ASCII, so it reads back in messages and logs. */
export const idempotencyKeySchema = z
  .string()
  .trim()
  .min(1, 'must not be blank')
  .max(IDEMPOTENCY_KEY_MAX_LENGTH, `must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`)
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII characters only (a UUID makes a good key)')
  .nullish()
  .transform((value) => value ?? undefined);

/**
 * A fingerprint of a request: a repeat under the same key must ask for exactly the same thing.
 * Callers list the fields in a fixed order (dates serialize as ISO strings).
 */
export function requestFingerprint(fields: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** The key was first used for another request: the client's mistake, worth telling from a replay. */
export class IdempotencyKeyConflictError extends ConflictError {
  constructor(key: string, result: string) {
    super(
      `idempotencyKey "${key}" was already used for a different ${result}: repeat that request ` +
        `unchanged to get its result, or use a new key for a new ${result}`,
    );
    this.details.field = 'idempotencyKey';
  }
}

/**
 * A table of a service that remembers what each caller's keys made: columns `caller_id`,
 * `idempotency_key`, `request_hash` (a `requestFingerprint`), `created_at` and the id of the
 * result in `resultColumn`, with the primary key `(caller_id, idempotency_key)`.
 */
export interface IdempotencyKeyTable {
  /** Qualified table name. */
  table: string;
  resultColumn: string;
  /** What one request makes, for messages: "ticket", "booking". */
  result: string;
}

export interface IdempotentRequest {
  callerId: string;
  key: string;
  fingerprint: string;
}

/** The keys of one kind of request, kept in the same transaction as the write they name. */
export class IdempotencyKeys {
  constructor(private readonly keys: IdempotencyKeyTable) {}

  /**
   * Records that `request` makes `resultId`: undefined when the key is new, so the caller goes
   * on and writes `resultId` in this transaction. Otherwise the id the same earlier request
   * made, or an `IdempotencyKeyConflictError` for a different one. A concurrent first use of
   * the key is waited for (the primary key's lock), so the loser sees the winner's committed
   * row, or takes the key if the winner rolled back.
   */
  async claim(
    manager: EntityManager,
    request: IdempotentRequest,
    resultId: string,
    now: Date,
  ): Promise<string | undefined> {
    const { table, resultColumn } = this.keys;
    const claimed = await queryRows(
      manager,
      `INSERT INTO ${table} (caller_id, idempotency_key, request_hash, ${resultColumn}, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
      [request.callerId, request.key, request.fingerprint, resultId, now],
    );
    if (claimed.length > 0) return undefined;
    const [earlier] = await queryRows<{ requestHash: string; resultId: string }>(
      manager,
      `SELECT request_hash AS "requestHash", ${resultColumn} AS "resultId"
       FROM ${table} WHERE caller_id = $1 AND idempotency_key = $2`,
      [request.callerId, request.key],
    );
    if (earlier?.requestHash !== request.fingerprint) {
      throw new IdempotencyKeyConflictError(request.key, this.keys.result);
    }
    return earlier.resultId;
  }

  /** Forgets every key of a caller (erasure: a fingerprint is derived from what they wrote). */
  async forgetCaller(manager: EntityManager, callerId: string): Promise<void> {
    await manager.query(`DELETE FROM ${this.keys.table} WHERE caller_id = $1`, [callerId]);
  }
}
