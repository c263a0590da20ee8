import { anEvent, anIdentity, waitFor } from '@servicedesk/testing';
import { AuditLogService } from '../src/audit-log/audit-log.service';
import { AuditServiceFixture, startAuditService } from './audit-service.fixture';

const VERIFY = `query { verifyAuditChain { ok checked firstBrokenSeq } }`;

interface Verification {
  verifyAuditChain: { ok: boolean; checked: number; firstBrokenSeq: string | null };
}

describe('audit service: the log cannot be rewritten unnoticed', () => {
  let audit: AuditServiceFixture;
  const events = Array.from({ length: 6 }, () => anEvent('ticket.commented'));

  beforeAll(async () => {
    audit = await startAuditService();
    for (const event of events) await audit.publish(event);
    await waitFor(
      async () => (await audit.entriesOf(events.map((event) => event.id))).length === events.length,
      { description: 'the six events in the log' },
    );
  });

  afterAll(() => audit?.close());

  const verify = () => audit.query<Verification>(VERIFY, {}, anIdentity('ADMIN'));

  /**
   * Runs `sql` with the append-only trigger out of the way. Only a superuser can set
   * session_replication_role (it switches off ordinary triggers for the session): that is
   * the kind of access the hash chain exists to expose.
   */
  async function asSuperuserBypassingTriggers(sql: string, parameters: unknown[]): Promise<void> {
    await audit.db.query('BEGIN');
    try {
      await audit.db.query('SET LOCAL session_replication_role = replica');
      await audit.db.query(sql, parameters);
      await audit.db.query('COMMIT');
    } catch (error) {
      await audit.db.query('ROLLBACK');
      throw error;
    }
  }

  it('verifies the intact chain', async () => {
    const response = await verify();
    expect(response.errors).toBeUndefined();
    expect(response.data?.verifyAuditChain).toEqual({
      ok: true,
      checked: events.length,
      firstBrokenSeq: null,
    });
  });

  it('verifies the chain across page boundaries, a page at a time', async () => {
    const pageSize = 4;
    await expect(audit.app.get(AuditLogService).verifyChain(pageSize)).resolves.toEqual({
      ok: true,
      checked: events.length,
      firstBrokenSeq: null,
    });
  });

  it.each([
    ['UPDATE', `UPDATE audit.audit_entry SET payload = '{"body":"rewritten"}' WHERE seq = 2`],
    ['UPDATE of no row at all', `UPDATE audit.audit_entry SET type = type WHERE false`],
    ['DELETE', `DELETE FROM audit.audit_entry WHERE seq = 3`],
    ['TRUNCATE', `TRUNCATE audit.audit_entry`],
  ])('the database refuses %s on audit entries', async (_operation, sql) => {
    await expect(audit.db.query(sql)).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('audit.audit_entry is append-only'),
    });
    const { rows } = await audit.db.query<{ count: string }>(
      'SELECT count(*) FROM audit.audit_entry',
    );
    expect(Number(rows[0].count)).toBe(events.length);
  });

  describe('hashes are 64 lowercase hex digits, or the database refuses the row', () => {
    /** Inserts a copy of entry 1 at a seq of its own with `column` set to `value`, then rolls back. */
    async function insertWith(column: 'hash' | 'prev_hash', value: string): Promise<void> {
      await audit.db.query('BEGIN');
      try {
        await audit.db.query(
          `INSERT INTO audit.audit_entry
           SELECT 1000, gen_random_uuid(), type, source, aggregate_type, aggregate_id, actor_id,
                  actor_role, correlation_id, occurred_at, recorded_at, payload,
                  ${column === 'prev_hash' ? '$1' : 'prev_hash'}, ${column === 'hash' ? '$1' : 'hash'}
             FROM audit.audit_entry WHERE seq = 1`,
          [value],
        );
      } finally {
        await audit.db.query('ROLLBACK');
      }
    }

    it.each([
      ['upper case', 'AB'.repeat(32)],
      ['63 digits', 'a'.repeat(63)],
      ['63 digits and a space', `${'a'.repeat(63)} `],
      ['a letter past f', `${'a'.repeat(63)}g`],
      ['a leading space', ` ${'a'.repeat(63)}`],
    ])('refuses %s in hash and in prev_hash', async (_case, value) => {
      for (const column of ['hash', 'prev_hash'] as const) {
        await expect(insertWith(column, value)).rejects.toMatchObject({
          code: '23514',
          constraint: `audit_entry_${column}_check`,
        });
      }
    });

    it('accepts 64 lowercase hex digits', async () => {
      await expect(insertWith('hash', '0123456789abcdef'.repeat(4))).resolves.toBeUndefined();
      await expect(insertWith('prev_hash', 'f'.repeat(64))).resolves.toBeUndefined();
    });
  });

  it('names the tampered entry when a row was changed behind the trigger', async () => {
    const { rows } = await audit.db.query<{ payload: unknown }>(
      'SELECT payload FROM audit.audit_entry WHERE seq = 4',
    );
    const original = rows[0].payload;
    await asSuperuserBypassingTriggers('UPDATE audit.audit_entry SET payload = $1 WHERE seq = 4', [
      { ...(original as object), internal: true },
    ]);
    try {
      const response = await verify();
      expect(response.data?.verifyAuditChain).toEqual({
        ok: false,
        checked: 4,
        firstBrokenSeq: '4',
      });
    } finally {
      await asSuperuserBypassingTriggers(
        'UPDATE audit.audit_entry SET payload = $1 WHERE seq = 4',
        [original],
      );
    }
    expect((await verify()).data?.verifyAuditChain.ok).toBe(true);
  });

  it('names the missing entry when a row was deleted behind the trigger', async () => {
    const { rows } = await audit.db.query<Record<string, unknown>>(
      'SELECT * FROM audit.audit_entry WHERE seq = 2',
    );
    await asSuperuserBypassingTriggers('DELETE FROM audit.audit_entry WHERE seq = 2', []);
    try {
      const response = await verify();
      expect(response.data?.verifyAuditChain).toMatchObject({ ok: false, firstBrokenSeq: '2' });
    } finally {
      const columns = Object.keys(rows[0]);
      await asSuperuserBypassingTriggers(
        `INSERT INTO audit.audit_entry (${columns.join(', ')})
         VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`,
        columns.map((column) => rows[0][column]),
      );
    }
    expect((await verify()).data?.verifyAuditChain.ok).toBe(true);
  });
});
