import { waitFor } from '@servicedesk/testing';
import { aUserRegistered } from './support/events';
import { MessagingHarness, TEST_SCHEMA, insertAggregate } from './support/messaging-harness';

describe('unit of work', () => {
  const harness = MessagingHarness.forTests();

  const aggregateExists = async (id: string): Promise<boolean> =>
    (await harness.dataSource.query(`SELECT 1 FROM ${TEST_SCHEMA}.aggregates WHERE id = $1`, [id]))
      .length === 1;

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
