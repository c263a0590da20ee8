import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { ContractViolationError } from '@servicedesk/contracts';
import { NewEvent } from '@servicedesk/messaging';
import { runWithContext } from '@servicedesk/platform';
import { waitFor } from '@servicedesk/testing';
import { useInMemoryTracing } from '../../platform/test/in-memory-tracing';
import { aStatusChange, aUserRegistered } from './support/events';
import { MessagingHarness, TEST_SCHEMA, insertAggregate } from './support/messaging-harness';

useInMemoryTracing();

describe('unit of work', () => {
  const harness = MessagingHarness.forTests();

  const aggregateExists = async (id: string): Promise<boolean> =>
    (await harness.dataSource.query(`SELECT 1 FROM ${TEST_SCHEMA}.aggregates WHERE id = $1`, [id]))
      .length === 1;

  /** Counts INSERT statements into the outbox (a statement-level trigger, like the relay's NOTIFY). */
  beforeAll(async () => {
    await harness.dataSource.query(`
      CREATE TABLE ${TEST_SCHEMA}.outbox_inserts (at timestamptz NOT NULL DEFAULT clock_timestamp());
      CREATE FUNCTION ${TEST_SCHEMA}.count_outbox_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${TEST_SCHEMA}.outbox_inserts DEFAULT VALUES;
        RETURN NULL;
      END $$;
      CREATE TRIGGER count_outbox_insert AFTER INSERT ON ${TEST_SCHEMA}.outbox
      FOR EACH STATEMENT EXECUTE FUNCTION ${TEST_SCHEMA}.count_outbox_insert()`);
  });

  const insertStatements = async (): Promise<number> => {
    const [{ count }] = await harness.dataSource.query(
      `SELECT count(*)::int AS count FROM ${TEST_SCHEMA}.outbox_inserts`,
    );
    return count;
  };

  /** The outbox rows of `ids`, in seq order. */
  const rowsOf = async (
    ids: readonly string[],
  ): Promise<
    Array<{ id: string; envelope: Record<string, unknown>; headers: Record<string, string> }>
  > =>
    harness.dataSource.query(
      `SELECT id, envelope, headers FROM ${TEST_SCHEMA}.outbox WHERE id = ANY($1::uuid[]) ORDER BY seq`,
      [ids],
    );

  /** Events of three tickets, interleaved: their order matters per ticket. */
  const interleavedChanges = (count: number): NewEvent[] => {
    const tickets = [randomUUID(), randomUUID(), randomUUID()];
    return Array.from({ length: count }, (_, i) =>
      aStatusChange(tickets[i % 3], 1 + Math.floor(i / 3)),
    );
  };

  it('writes emits issued together in one statement, in the order of the calls', async () => {
    const uow = harness.unitOfWork();
    const events = interleavedChanges(30);
    const before = await insertStatements();

    const ids = await uow.run(async (tx) => {
      const envelopes = await Promise.all(events.map((event) => tx.emit(event)));
      // Each emit resolved once its row was in the transaction.
      const [{ count }] = await tx.manager.query(
        `SELECT count(*)::int AS count FROM ${TEST_SCHEMA}.outbox WHERE id = ANY($1::uuid[])`,
        [envelopes.map((envelope) => envelope.id)],
      );
      expect(count).toBe(events.length);
      return envelopes.map((envelope) => envelope.id);
    });

    expect(await insertStatements()).toBe(before + 1);
    expect((await rowsOf(ids)).map((row) => row.id)).toEqual(ids);
  });

  it('writes emits awaited one after the other in a statement each', async () => {
    const uow = harness.unitOfWork();
    const events = interleavedChanges(3);
    const before = await insertStatements();

    const ids = await uow.run(async (tx) => {
      const written: string[] = [];
      for (const event of events) written.push((await tx.emit(event)).id);
      return written;
    });

    expect(await insertStatements()).toBe(before + 3);
    expect((await rowsOf(ids)).map((row) => row.id)).toEqual(ids);
  });

  it("gives each of the emits issued together its own caller's correlation id, actor and trace", async () => {
    const uow = harness.unitOfWork();
    const tracer = trace.getTracer('unit-of-work.spec');
    const callers = Array.from({ length: 5 }, (_, i) => ({
      correlationId: randomUUID(),
      identity: { userId: randomUUID(), role: 'AGENT' as const },
      event: aUserRegistered(),
      span: `request ${i}`,
    }));
    const before = await insertStatements();

    const written = await uow.run((tx) =>
      Promise.all(
        callers.map((caller) =>
          runWithContext({ correlationId: caller.correlationId, identity: caller.identity }, () =>
            tracer.startActiveSpan(caller.span, async (span) => {
              try {
                const envelope = await tx.emit(caller.event);
                return { id: envelope.id, traceId: span.spanContext().traceId };
              } finally {
                span.end();
              }
            }),
          ),
        ),
      ),
    );

    expect(await insertStatements()).toBe(before + 1);
    const rows = await rowsOf(written.map((row) => row.id));
    expect(rows.map((row) => row.id)).toEqual(written.map((row) => row.id));
    for (const [i, row] of rows.entries()) {
      expect(row.envelope).toMatchObject({
        correlationId: callers[i].correlationId,
        actor: { id: callers[i].identity.userId, role: 'AGENT' },
      });
      expect(row.headers.traceparent.split('-')[1]).toBe(written[i].traceId);
    }
    expect(new Set(written.map((row) => row.traceId)).size).toBe(callers.length);
  });

  it('fails only the emit whose event breaks its contract; the others issued with it are written', async () => {
    const uow = harness.unitOfWork();
    const valid = [aUserRegistered(), aUserRegistered()];
    const broken = aUserRegistered();
    const before = await insertStatements();

    const outcomes = await uow.run((tx) =>
      Promise.allSettled([
        tx.emit(valid[0]),
        tx.emit({ ...broken, payload: { ...broken.payload, email: 'not an email' } }),
        tx.emit(valid[1]),
      ]),
    );

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ContractViolationError);
    expect(await insertStatements()).toBe(before + 1);
    const ids = outcomes.flatMap((outcome) =>
      outcome.status === 'fulfilled' ? [outcome.value.id] : [],
    );
    expect((await rowsOf(ids)).map((row) => row.id)).toEqual(ids);
  });

  it('leaves no row of emits issued together when the work fails', async () => {
    const uow = harness.unitOfWork();
    const events = [aUserRegistered(), aUserRegistered(), aUserRegistered()];
    const broken = { ...events[1], payload: { ...events[1].payload, email: 'not an email' } };
    const rowsBefore = (await harness.outboxRows()).length;

    await expect(
      uow.run((tx) => Promise.all([tx.emit(events[0]), tx.emit(broken), tx.emit(events[2])])),
    ).rejects.toThrow(ContractViolationError);

    expect(await harness.outboxRows()).toHaveLength(rowsBefore);
  });

  it('writes an emit the work did not await before its transaction commits', async () => {
    const uow = harness.unitOfWork();
    const event = aUserRegistered();
    let emitted: Promise<{ id: string }> | undefined;

    await uow.run(async (tx) => {
      emitted = tx.emit(event);
    });

    const { id } = await emitted!;
    expect((await rowsOf([id])).map((row) => row.id)).toEqual([id]);
  });

  it('refuses an emit once its unit of work has finished', async () => {
    const uow = harness.unitOfWork();
    const tx = await uow.run(async (scope) => scope);

    await expect(tx.emit(aUserRegistered())).rejects.toThrow(/already finished/);
  });

  it('joins the outer transaction by default, so a failure of the outer work undoes both', async () => {
    const uow = harness.unitOfWork();
    const event = aUserRegistered();

    await expect(
      uow.run(async () => {
        await uow.run((tx) => insertAggregate(tx.manager, event.aggregateId));
        throw new Error('the outer work fails');
      }),
    ).rejects.toThrow('the outer work fails');

    expect(await aggregateExists(event.aggregateId)).toBe(false);
  });

  it('commits a separate transaction on its own even when the outer work then fails', async () => {
    const uow = harness.unitOfWork();
    const kept = aUserRegistered();
    const undone = aUserRegistered();

    await expect(
      uow.run(async (outer) => {
        await insertAggregate(outer.manager, undone.aggregateId);
        await uow.run((tx) => insertAggregate(tx.manager, kept.aggregateId), { separate: true });
        throw new Error('the outer work fails');
      }),
    ).rejects.toThrow('the outer work fails');

    expect(await aggregateExists(kept.aggregateId)).toBe(true);
    expect(await aggregateExists(undone.aggregateId)).toBe(false);
  });

  it('forgets only the published outbox rows of the given aggregate', async () => {
    await harness.recordingQueue(['user.registered']);
    const { relay } = await harness.startRelay();
    const uow = harness.unitOfWork();
    const erased = aUserRegistered();
    const other = aUserRegistered();
    const [erasedId, otherId] = await uow.run(async (tx) => [
      (await tx.emit(erased)).id,
      (await tx.emit(other)).id,
    ]);
    await waitFor(
      async () =>
        (await harness.outboxRows()).filter(
          (row) => [erasedId, otherId].includes(row.id) && row.status === 'PUBLISHED',
        ).length === 2,
      { description: 'both rows published' },
    );
    await relay.stop();
    const pendingId = await uow.run(async (tx) => (await tx.emit(erased)).id);

    const forgotten = await uow.run((tx) => tx.forgetPublishedEvents('user', erased.aggregateId));

    expect(forgotten).toBe(1);
    const remaining = (await harness.outboxRows()).map((row) => row.id);
    expect(remaining).not.toContain(erasedId);
    expect(remaining).toEqual(expect.arrayContaining([otherId, pendingId]));
  });
});
