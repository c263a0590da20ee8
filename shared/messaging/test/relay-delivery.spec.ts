import { randomUUID } from 'node:crypto';
import { ContractViolationError } from '@servicedesk/contracts';
import { applicationName } from '@servicedesk/platform';
import { waitFor } from '@servicedesk/testing';
import { UnitOfWork, outboxStatus, retryFailedOutbox } from '@servicedesk/messaging';
import { aStatusChange, aUserRegistered, anSlaBreach } from './support/events';
import {
  MessagingHarness,
  TEST_SCHEMA,
  TEST_SERVICE,
  counterValue,
  drained,
  insertAggregate,
} from './support/messaging-harness';

/** W3C trace context: version 00, a trace id and a span id that are not all zeros, flags. */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Writes a state change and its event in one unit of work; returns the event id. */
async function registerUser(
  uow: UnitOfWork,
  options: { failAfterEmit?: boolean } = {},
): Promise<string> {
  let eventId = '';
  await uow.run(async (tx) => {
    const event = aUserRegistered();
    await insertAggregate(tx.manager, event.aggregateId);
    eventId = (await tx.emit(event)).id;
    if (options.failAfterEmit)
      throw new Error('the state change fails after the event was written');
  });
  return eventId;
}

describe('outbox relay: delivery', () => {
  const harness = MessagingHarness.forTests();

  /** Resolves once the outbox row of `eventId` is PUBLISHED. */
  const rowPublished = (eventId: string, description: string) =>
    waitFor(
      async () =>
        (await harness.outboxRows()).find((row) => row.id === eventId)?.status === 'PUBLISHED',
      { description },
    );

  it('publishes a committed change exactly once and marks its row PUBLISHED', async () => {
    const recorder = await harness.recordingQueue(['user.registered']);
    const { relay, metrics } = await harness.startRelay();
    const uow = harness.unitOfWork();

    const eventId = await registerUser(uow);

    await waitFor(() => recorder.ids().includes(eventId), {
      description: 'the event to be consumed',
    });
    await rowPublished(eventId, 'the row to be marked PUBLISHED');
    await drained(relay);
    expect(recorder.ids().filter((id) => id === eventId)).toHaveLength(1);
    const message = recorder.received.find((m) => m.properties.messageId === eventId)!;
    const [{ envelope }] = await harness.dataSource.query(
      `SELECT envelope FROM ${TEST_SCHEMA}.outbox WHERE id = $1`,
      [eventId],
    );
    expect(JSON.parse(message.content.toString())).toEqual(envelope);
    expect(message.properties).toMatchObject({
      type: 'user.registered',
      contentType: 'application/json',
      deliveryMode: 2,
      timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000),
      headers: expect.objectContaining({ 'x-correlation-id': envelope.correlationId }),
    });
    expect(
      await counterValue(metrics, 'messaging_published_total', { type: 'user.registered' }),
    ).toBeGreaterThanOrEqual(1);
    await relay.stop();
  });

  it('gives every message a traceparent, even with no tracing running', async () => {
    const recorder = await harness.recordingQueue(['user.registered']);
    const { relay } = await harness.startRelay();

    const eventId = await registerUser(harness.unitOfWork());

    const message = await waitFor(
      () => recorder.received.find((m) => m.properties.messageId === eventId),
      { description: 'the event to be consumed' },
    );
    expect(message.properties.headers?.traceparent).toMatch(TRACEPARENT);
    await relay.stop();
  });

  it('names its LISTEN session after the service', async () => {
    const { relay } = await harness.startRelay();

    const sessions: Array<{ application_name: string }> = await harness.dataSource.query(
      `SELECT application_name FROM pg_stat_activity WHERE datname = current_database()`,
    );

    expect(sessions.map((session) => session.application_name)).toContain(
      applicationName(TEST_SERVICE, 'listener'),
    );
    await relay.stop();
  });

  it('never publishes a rolled-back change', async () => {
    const recorder = await harness.recordingQueue(['user.registered']);
    const { relay } = await harness.startRelay();
    const uow = harness.unitOfWork();

    let rolledBackId = '';
    await expect(
      uow.run(async (tx) => {
        rolledBackId = (await tx.emit(aUserRegistered())).id;
        throw new Error('business rule broken');
      }),
    ).rejects.toThrow('business rule broken');
    // A committed change after it proves the relay ran past the point where the other would be.
    const committedId = await registerUser(uow);

    await waitFor(() => recorder.ids().includes(committedId), {
      description: 'the committed event',
    });
    await drained(relay);
    expect((await harness.outboxRows()).map((row) => row.id)).not.toContain(rolledBackId);
    expect(recorder.ids()).not.toContain(rolledBackId);
    await relay.stop();
  });

  it('rejects an event that breaks its contract before writing anything', async () => {
    const uow = harness.unitOfWork();
    const aggregateId = randomUUID();
    const before = (await harness.outboxRows()).length;

    await expect(
      uow.run(async (tx) => {
        await insertAggregate(tx.manager, aggregateId);
        const event = aUserRegistered(aggregateId);
        await tx.emit({ ...event, payload: { ...event.payload, email: 'not an email' } });
      }),
    ).rejects.toThrow(ContractViolationError);

    expect(
      await harness.dataSource.query(`SELECT 1 FROM ${TEST_SCHEMA}.aggregates WHERE id = $1`, [
        aggregateId,
      ]),
    ).toHaveLength(0);
    expect(await harness.outboxRows()).toHaveLength(before);
  });

  it('does not let an emit escape its finished transaction', async () => {
    const uow = harness.unitOfWork();
    let leaked: Parameters<Parameters<UnitOfWork['run']>[0]>[0] | undefined;
    await uow.run(async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.emit(aUserRegistered())).rejects.toThrow(/already finished/);
  });

  it('gives async work that outlives its unit of work a transaction of its own', async () => {
    const uow = harness.unitOfWork();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let later: Promise<string> | undefined;

    await uow.run(async () => {
      // Started inside the unit of work, runs after it has committed.
      later = released.then(() => uow.run(async (tx) => (await tx.emit(aUserRegistered())).id));
    });
    release();

    const eventId = await later!;
    expect((await harness.outboxRows()).map((row) => row.id)).toContain(eventId);
  });

  it('deletes published rows once they are older than the retention period', async () => {
    const uow = harness.unitOfWork();
    const [old, recent] = [await registerUser(uow), await registerUser(uow)];
    await harness.dataSource.query(
      `UPDATE ${TEST_SCHEMA}.outbox SET status = 'PUBLISHED', published_at = now() - interval '8 days' WHERE id = $1`,
      [old],
    );

    const { relay } = await harness.startRelay({ publishedRetentionMs: 7 * 24 * 3600_000 });

    await waitFor(async () => !(await harness.outboxRows()).some((row) => row.id === old), {
      description: 'the old published row to be deleted',
    });
    await rowPublished(recent, 'the recent row to be published and kept');
    await relay.stop();
  });

  it('treats an unroutable event as a failure: retried with backoff, then parked FAILED until an operator retries it', async () => {
    const { relay } = await harness.startRelay({
      maxAttempts: 3,
      retry: { baseMs: 20, maxMs: 100, jitter: 0 },
    });
    const uow = harness.unitOfWork();
    let eventId = '';
    await uow.run(async (tx) => {
      // No queue is bound to user.erased in this vhost: the broker returns it (mandatory).
      const userId = randomUUID();
      eventId = (await tx.emit({ type: 'user.erased', aggregateId: userId, payload: { userId } }))
        .id;
    });

    const parked = await waitFor(
      async () =>
        (await harness.outboxRows()).find((row) => row.id === eventId && row.status === 'FAILED'),
      { description: 'the unroutable row to be parked' },
    );
    expect(parked.attempts).toBe(3);
    expect(parked.last_error).toMatch(/unroutable/);
    expect((await outboxStatus(harness.dataSource, TEST_SCHEMA)).failed).toBe(1);

    const recorder = await harness.recordingQueue(['user.erased']);
    expect(await retryFailedOutbox(harness.dataSource, TEST_SCHEMA)).toBe(1);
    await waitFor(() => recorder.ids().includes(eventId), {
      description: 'the retried event to be published',
    });
    await rowPublished(eventId, 'the retried row to be PUBLISHED');
    await relay.stop();
  });

  it('holds back the later events of an aggregate behind a parked one, and publishes them in order after a retry', async () => {
    // ticket.sla_breached is bound to no queue yet: unroutable, parked at the first attempt.
    const recorder = await harness.recordingQueue(['ticket.status_changed']);
    const { relay, metrics } = await harness.startRelay({ maxAttempts: 1 });
    const ticketId = randomUUID();
    const ids = await harness
      .unitOfWork()
      .run(async (tx) => [
        (await tx.emit(anSlaBreach(ticketId))).id,
        (await tx.emit(aStatusChange(ticketId, 1))).id,
        (await tx.emit(aStatusChange(ticketId, 2))).id,
      ]);
    const rowsOf = async () => (await harness.outboxRows()).filter((row) => ids.includes(row.id));

    await waitFor(async () => (await rowsOf())[0]?.status === 'FAILED', {
      description: 'the first event to be parked',
    });
    await drained(relay);

    expect((await rowsOf()).map((row) => [row.status, row.attempts])).toEqual([
      ['FAILED', 1],
      ['PENDING', 0],
      ['PENDING', 0],
    ]);
    expect(recorder.ids()).toEqual([]);
    expect(await counterValue(metrics, 'outbox_failed', {})).toBe(1);
    expect(await counterValue(metrics, 'outbox_pending', {})).toBe(2);
    expect(await counterValue(metrics, 'outbox_oldest_pending_age_seconds', {})).toBeGreaterThan(0);

    const everything = await harness.recordingQueue([
      'ticket.sla_breached',
      'ticket.status_changed',
    ]);
    expect(await retryFailedOutbox(harness.dataSource, TEST_SCHEMA)).toBe(1);

    await waitFor(() => ids.every((id) => everything.ids().includes(id)), {
      description: 'the three events to be published',
    });
    expect(everything.ids()).toEqual(ids);
    await waitFor(async () => (await rowsOf()).every((row) => row.status === 'PUBLISHED'), {
      description: 'the three rows to be PUBLISHED',
    });
    expect(await counterValue(metrics, 'outbox_failed', {})).toBe(0);
    expect(await counterValue(metrics, 'outbox_pending', {})).toBe(0);
    await relay.stop();
  });

  it('computes the backlog gauges when they are scraped, not when the relay runs', async () => {
    const { relay, metrics } = await harness.startRelay();
    await relay.stop();
    const before = await counterValue(metrics, 'outbox_pending', {});

    const eventId = await registerUser(harness.unitOfWork());

    expect(await counterValue(metrics, 'outbox_pending', {})).toBe(before + 1);
    const { relay: restarted } = await harness.startRelay();
    await rowPublished(eventId, 'the row to be published');
    expect(await counterValue(metrics, 'outbox_pending', {})).toBe(0);
    await restarted.stop();
  });
});
