import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { applicationName } from '@servicedesk/platform';
import { waitFor } from '@servicedesk/testing';
import {
  MessagingMetrics,
  OutboxRelay,
  PartialRelayOptions,
  relayOptions,
} from '@servicedesk/messaging';
import {
  MessagingHarness,
  TEST_SCHEMA,
  counterValue,
  drained,
  silentLogger,
} from './support/messaging-harness';
import { firstDeliveries, versionsUpTo, writeBacklog } from './support/relay-backlog';

interface Replica {
  name: string;
  relay: OutboxRelay;
  metrics: MessagingMetrics;
  /** The name of its LISTEN session, which holds the lease while it publishes. */
  session: string;
}

describe('outbox relay: the publishing lease across replicas', () => {
  const harness = MessagingHarness.forTests();
  const started: OutboxRelay[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((relay) => relay.stop()));
  });

  /** A replica of the test service's relay, named `name` (its messages carry it as appId). */
  async function startReplica(
    name: string,
    dataSource: DataSource,
    overrides: PartialRelayOptions = {},
  ): Promise<Replica> {
    const metrics = new MessagingMetrics(new Registry());
    const relay = new OutboxRelay({
      dataSource,
      service: name,
      schema: TEST_SCHEMA,
      rabbitmqUrl: harness.vhost.url,
      logger: silentLogger,
      metrics,
      topology: [],
      options: relayOptions({
        pollIntervalMs: 200,
        reconnect: { baseMs: 50, maxMs: 500 },
        ...overrides,
      }),
    });
    started.push(relay);
    await relay.start();
    return { name, relay, metrics, session: applicationName(name, 'listener') };
  }

  /** The sessions holding an advisory lock on the test schema (the relays' lease), by name and pid. */
  async function leaseHolders(): Promise<Array<{ name: string; pid: number }>> {
    return harness.dataSource.query(
      `SELECT a.application_name AS name, a.pid
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.objid = hashtext($1)::oid AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [TEST_SCHEMA],
    );
  }

  it('lets one replica publish at a time: each batch is confirmed while its own session holds the lease', async () => {
    const recorder = await harness.recordingQueue(['ticket.status_changed']);
    const observed: Record<string, string[][]> = { 'replica-a': [], 'replica-b': [] };
    const holderCheck = (name: string) => async () => {
      observed[name].push((await leaseHolders()).map((holder) => holder.name));
    };
    const a = await startReplica('replica-a', harness.dataSource, {
      batchSize: 10,
      onPublished: holderCheck('replica-a'),
    });
    const b = await startReplica('replica-b', await harness.anotherDataSource(), {
      batchSize: 10,
      onPublished: holderCheck('replica-b'),
    });

    // Written while both run: every commit wakes both, and they contend for each pass.
    const backlog = await writeBacklog(harness.unitOfWork(), 20, 20);
    await waitFor(
      async () =>
        (await harness.outboxRows()).filter(
          (row) => backlog.ids.includes(row.id) && row.status === 'PUBLISHED',
        ).length === backlog.ids.length,
      { timeoutMs: 60000, description: 'every row to be PUBLISHED' },
    );
    await Promise.all([a.relay, b.relay].map(drained));

    expect(observed['replica-a'].length + observed['replica-b'].length).toBeGreaterThan(0);
    for (const { name, session } of [a, b]) {
      for (const holders of observed[name]) expect([name, holders]).toEqual([name, [session]]);
    }
    expect(recorder.ids()).toHaveLength(backlog.ids.length);
    expect(new Set(recorder.ids())).toEqual(new Set(backlog.ids));
    for (const ticketId of backlog.ticketIds) {
      expect([ticketId, firstDeliveries(recorder, ticketId)]).toEqual([
        ticketId,
        versionsUpTo(backlog.changesPerTicket),
      ]);
    }
    const published = await Promise.all(
      [a, b].map(({ metrics }) =>
        counterValue(metrics, 'messaging_published_total', { type: 'ticket.status_changed' }),
      ),
    );
    expect(published[0] + published[1]).toBe(backlog.ids.length);
  });

  it('hands the outbox to another replica when the holder loses its lease session, and loses nothing', async () => {
    const recorder = await harness.recordingQueue(['ticket.status_changed']);
    let killed: string | undefined;
    // The first holder does not reconnect to the database during this test.
    const first = await startReplica('replica-first', harness.dataSource, {
      batchSize: 25,
      reconnect: { baseMs: 120_000, maxMs: 120_000 },
      onPublished: async () => {
        if (killed !== undefined) return;
        const holders = await leaseHolders();
        killed = holders.map((holder) => holder.name).join(',');
        await harness.dataSource.query('SELECT pg_terminate_backend($1)', [holders[0].pid]);
      },
    });

    const backlog = await writeBacklog(harness.unitOfWork(), 20, 25);
    await waitFor(() => killed !== undefined, {
      description: 'the first replica to publish a batch and lose its lease session',
    });
    expect(killed).toBe(first.session);
    await waitFor(async () => (await leaseHolders()).length === 0, {
      description: 'the lease to be free',
    });

    const holdersSeenBySecond: string[][] = [];
    const second = await startReplica('replica-second', await harness.anotherDataSource(), {
      batchSize: 25,
      onPublished: async () => {
        holdersSeenBySecond.push((await leaseHolders()).map((holder) => holder.name));
      },
    });
    await waitFor(
      async () =>
        (await harness.outboxRows()).filter(
          (row) => backlog.ids.includes(row.id) && row.status === 'PUBLISHED',
        ).length === backlog.ids.length,
      { timeoutMs: 60000, description: 'every row to be PUBLISHED' },
    );
    await drained(second.relay);

    expect(holdersSeenBySecond.length).toBeGreaterThan(0);
    expect(new Set(holdersSeenBySecond.flat())).toEqual(new Set([second.session]));
    expect(
      await counterValue(second.metrics, 'messaging_published_total', {
        type: 'ticket.status_changed',
      }),
    ).toBeGreaterThan(0);
    // At least once: what the first replica had in flight may come twice, in order.
    expect(new Set(recorder.ids())).toEqual(new Set(backlog.ids));
    for (const ticketId of backlog.ticketIds) {
      expect([ticketId, firstDeliveries(recorder, ticketId)]).toEqual([
        ticketId,
        versionsUpTo(backlog.changesPerTicket),
      ]);
    }
  });
});
