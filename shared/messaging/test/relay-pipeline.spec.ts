import { randomUUID } from 'node:crypto';
import { waitFor } from '@servicedesk/testing';
import { retryFailedOutbox } from '@servicedesk/messaging';
import { aStatusChange, anSlaBreach } from './support/events';
import { MessagingHarness, TEST_SCHEMA, drained } from './support/messaging-harness';
import { firstDeliveries, versionsUpTo, writeBacklog } from './support/relay-backlog';

describe('outbox relay: pipelined publishing', () => {
  const harness = MessagingHarness.forTests();

  const rowsOf = async (ids: readonly string[]) =>
    (await harness.outboxRows()).filter((row) => ids.includes(row.id));

  const allPublished = (ids: readonly string[], timeoutMs = 30000) =>
    waitFor(async () => (await rowsOf(ids)).every((row) => row.status === 'PUBLISHED'), {
      timeoutMs,
      description: `all ${ids.length} rows to be PUBLISHED`,
    });

  it('publishes a backlog of 2,000 rows once each, in order per aggregate, reading ahead of the confirms', async () => {
    const recorder = await harness.recordingQueue(['ticket.status_changed']);
    const backlog = await writeBacklog(harness.unitOfWork(), 40, 50);
    const batchSize = 50;
    let firstBatchHeld = false;

    const { relay } = await harness.startRelay({
      batchSize,
      // The first batch is not marked until messages of later batches reached the queue: a
      // relay that waited for a batch's marking before reading the next would never get there.
      onPublished: async () => {
        if (firstBatchHeld) return;
        firstBatchHeld = true;
        await waitFor(() => recorder.received.length > batchSize, {
          description: 'the next batch to be published before the first one is marked',
        });
      },
    });

    await allPublished(backlog.ids, 60000);
    await waitFor(() => recorder.received.length >= backlog.ids.length, {
      description: 'every message to reach the queue',
    });
    await drained(relay);

    expect(firstBatchHeld).toBe(true);
    expect(recorder.ids()).toHaveLength(backlog.ids.length);
    expect(new Set(recorder.ids())).toEqual(new Set(backlog.ids));
    for (const ticketId of backlog.ticketIds) {
      expect([ticketId, firstDeliveries(recorder, ticketId)]).toEqual([
        ticketId,
        versionsUpTo(backlog.changesPerTicket),
      ]);
    }
    expect((await rowsOf(backlog.ids)).every((row) => row.attempts === 1)).toBe(true);
    await relay.stop();
  });

  it('loses nothing when the broker connection is cut while batches are in flight', async () => {
    const { proxy, rabbitmqUrl } = await harness.brokerProxy();
    const recorder = await harness.recordingQueue(['ticket.status_changed']);
    const backlog = await writeBacklog(harness.unitOfWork(), 20, 25);
    let cut = false;

    const { relay } = await harness.startRelay({
      rabbitmqUrl,
      batchSize: 25,
      confirmTimeoutMs: 2000,
      // The first batch's confirms are in; later batches are published and awaiting theirs.
      onPublished: () => {
        if (cut) return;
        cut = true;
        proxy.cut();
      },
    });
    await waitFor(() => cut && !relay.brokerConnected, {
      description: 'the relay to lose the broker in the middle of the backlog',
    });
    proxy.restore();

    await allPublished(backlog.ids);
    await drained(relay);

    expect(new Set(recorder.ids())).toEqual(new Set(backlog.ids));
    for (const ticketId of backlog.ticketIds) {
      expect([ticketId, firstDeliveries(recorder, ticketId)]).toEqual([
        ticketId,
        versionsUpTo(backlog.changesPerTicket),
      ]);
    }
    // Losing the connection cost no row an attempt: each was marked after one confirm.
    expect((await rowsOf(backlog.ids)).map((row) => row.attempts)).toEqual(
      backlog.ids.map(() => 1),
    );
    await relay.stop();
  });

  it('keeps the order of an aggregate when a row in its middle is refused, across batches', async () => {
    // ticket.sla_breached is bound to no queue: the broker returns it (mandatory).
    const recorder = await harness.recordingQueue(['ticket.status_changed']);
    const ticketId = randomUUID();
    const others = [randomUUID(), randomUUID()];
    const ids = await harness.unitOfWork().run(async (tx) => {
      const written: Record<string, string> = {};
      const emit = async (name: string, event: Parameters<typeof tx.emit>[0]) => {
        written[name] = (await tx.emit(event)).id;
      };
      await emit('v1', aStatusChange(ticketId, 1));
      await emit('other1', aStatusChange(others[0], 1));
      await emit('breach', anSlaBreach(ticketId));
      await emit('other2', aStatusChange(others[1], 1));
      await emit('v2', aStatusChange(ticketId, 2));
      await emit('other3', aStatusChange(others[0], 2));
      await emit('v3', aStatusChange(ticketId, 3));
      return written;
    });

    // Batches of two: the refused row and the rows behind it are read in different batches.
    const { relay } = await harness.startRelay({
      batchSize: 2,
      maxAttempts: 2,
      retry: { baseMs: 20, maxMs: 50, jitter: 0 },
    });
    await waitFor(async () => (await rowsOf([ids.breach]))[0]?.status === 'FAILED', {
      description: 'the refused row to be parked after its attempts',
    });
    await allPublished([ids.v1, ids.other1, ids.other2, ids.other3]);
    await drained(relay);

    expect(recorder.ids()).toEqual(
      expect.arrayContaining([ids.v1, ids.other1, ids.other2, ids.other3]),
    );
    expect(recorder.ids()).not.toContain(ids.v2);
    expect(recorder.ids()).not.toContain(ids.v3);
    expect(
      (await rowsOf([ids.breach, ids.v2, ids.v3])).map((row) => [row.id, row.status, row.attempts]),
    ).toEqual([
      [ids.breach, 'FAILED', 2],
      [ids.v2, 'PENDING', 0],
      [ids.v3, 'PENDING', 0],
    ]);

    const everything = await harness.recordingQueue([
      'ticket.sla_breached',
      'ticket.status_changed',
    ]);
    expect(await retryFailedOutbox(harness.dataSource, TEST_SCHEMA)).toBe(1);
    relay.wake();

    await allPublished([ids.breach, ids.v2, ids.v3]);
    await waitFor(() => everything.ids().includes(ids.v3), {
      description: 'the held rows to be published',
    });
    expect(everything.ids().filter((id) => [ids.breach, ids.v2, ids.v3].includes(id))).toEqual([
      ids.breach,
      ids.v2,
      ids.v3,
    ]);
    expect(recorder.ids().filter((id) => id === ids.v1)).toHaveLength(1);
    await relay.stop();
  });
});
