import { randomUUID } from 'node:crypto';
import { waitFor } from '@servicedesk/testing';
import { UnitOfWork } from '@servicedesk/messaging';
import { aStatusChange } from './support/events';
import {
  MessagingHarness,
  TEST_SCHEMA,
  counterValue,
  drained,
  insertAggregate,
} from './support/messaging-harness';

const AGGREGATES = 8;
const CHANGES_PER_AGGREGATE = 8;

/** One state change: bumps the aggregate's version (locking its row) and emits the new version. */
function changeStatus(uow: UnitOfWork, ticketId: string): Promise<void> {
  return uow.run(async (tx) => {
    const [[{ version }]] = await tx.manager.query(
      `UPDATE ${TEST_SCHEMA}.aggregates SET version = version + 1 WHERE id = $1 RETURNING version`,
      [ticketId],
    );
    await tx.emit(aStatusChange(ticketId, version));
  });
}

describe('outbox relay: two replicas of one service', () => {
  const harness = MessagingHarness.forTests();

  it('publish no duplicates and keep the order of each aggregate under concurrent writes', async () => {
    const recorder = await harness.recordingQueue(['ticket.status_changed']);
    const secondReplica = await harness.anotherDataSource();
    const replicas = [harness.unitOfWork(), harness.unitOfWork(secondReplica)];
    // Small batches: many rounds, so the replicas contend for the outbox again and again.
    const first = await harness.startRelay({ batchSize: 5 });
    const second = await harness.startRelay({ batchSize: 5, dataSource: secondReplica });

    const tickets = Array.from({ length: AGGREGATES }, () => randomUUID());
    for (const id of tickets) await insertAggregate(harness.dataSource, id);
    await Promise.all(
      tickets.flatMap((ticketId, t) =>
        Array.from({ length: CHANGES_PER_AGGREGATE }, (_, i) =>
          changeStatus(replicas[(t + i) % 2], ticketId),
        ),
      ),
    );

    const total = AGGREGATES * CHANGES_PER_AGGREGATE;
    await waitFor(
      async () => (await harness.outboxRows()).every((row) => row.status === 'PUBLISHED'),
      {
        timeoutMs: 30000,
        description: 'every row to be PUBLISHED',
      },
    );
    await waitFor(() => recorder.received.length >= total, {
      description: `${total} messages to be consumed`,
    });
    await Promise.all([first.relay, second.relay].map(drained));

    expect(recorder.ids()).toHaveLength(total);
    expect(new Set(recorder.ids()).size).toBe(total);
    for (const ticketId of tickets) {
      const versions = recorder
        .bodies()
        .filter((body) => body.aggregateId === ticketId)
        .map((body) => body.payload.version);
      expect(versions).toEqual(Array.from({ length: CHANGES_PER_AGGREGATE }, (_, i) => i + 1));
    }
    const publishedBy = await Promise.all(
      [first, second].map(({ metrics }) =>
        counterValue(metrics, 'messaging_published_total', { type: 'ticket.status_changed' }),
      ),
    );
    expect(publishedBy[0] + publishedBy[1]).toBe(total);
  });
});
