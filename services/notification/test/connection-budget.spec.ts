import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { applicationName, processConnections } from '@servicedesk/platform';
import { GraphQLResponse, anEvent, dataOf, scrapeMetric, waitFor } from '@servicedesk/testing';
import { MY_NOTIFICATIONS, UNREAD_COUNT } from './builders';
import {
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

/**
 * The notification service under load on its default pool: deliveries (each holding its
 * inbox transaction while it opens separate ones) and requests at once. It stays within its
 * documented share of PostgreSQL connections, every one of them named after it, and neither a
 * request nor a delivery runs out of connections. On a pool kept full, a request answers
 * SERVICE_UNAVAILABLE after the acquire timeout instead of hanging.
 */

/** The most sessions seen at once on the service's database, and their names; the test's own left out. */
class SessionSampler {
  peak = 0;
  readonly names = new Set<string>();
  private running = true;
  private done: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Client,
    private readonly ownPids: number[],
  ) {}

  /** Samples through `db` until stopped; `others` are further sessions of the test. */
  static async start(db: Client, others: Client[]): Promise<SessionSampler> {
    const pids = await Promise.all(
      [db, ...others].map(async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        return rows[0].pid;
      }),
    );
    const sampler = new SessionSampler(db, pids);
    sampler.done = sampler.sample();
    return sampler;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async sample(): Promise<void> {
    while (this.running) {
      const { rows } = await this.db.query<{ name: string; count: number }>(
        `SELECT application_name AS name, count(*)::int AS count FROM pg_stat_activity
          WHERE datname = current_database() AND NOT (pid = ANY($1::int[]))
          GROUP BY application_name`,
        [this.ownPids],
      );
      this.peak = Math.max(
        this.peak,
        rows.reduce((sum, row) => sum + row.count, 0),
      );
      for (const row of rows) this.names.add(row.name);
    }
  }
}

describe('notification service: connection budget', () => {
  const TICKETS = 60;
  const CLIENTS = 16;
  let service: NotificationServiceFixture;
  let people: Person[];

  beforeAll(async () => {
    // What is measured is connections, and the SMTP server runs in this busy process, where a
    // mail can take seconds, and a claimed one may wait for a free connection for several
    // rounds of them: a deadline no mail reaches here, so that a retry can only come from the
    // database side. A retry's reason is logged (warn), to be read where this fails.
    service = await startNotificationService({
      NOTIFICATION_SMTP_TIMEOUT_MS: '30000',
      LOG_LEVEL: 'warn',
    });
    people = [];
    for (let n = 0; n < CLIENTS; n++) people.push(await service.registerPerson('CUSTOMER'));
  });

  afterAll(() => service?.close());

  async function processedCount(ids: string[]): Promise<number> {
    const { rows } = await service.db.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM notification.inbox WHERE message_id = ANY($1::uuid[])',
      [ids],
    );
    return rows[0].count;
  }

  it('stays within its share under deliveries and requests at once, and nothing runs out of connections', async () => {
    const sampler = await SessionSampler.start(await service.connectDatabase(), [service.db]);
    const responses: GraphQLResponse[] = [];
    let loading = true;
    const client = async (person: Person) => {
      while (loading) {
        responses.push(await service.instance.query(MY_NOTIFICATIONS, {}, person.identity));
        responses.push(await service.instance.query(UNREAD_COUNT, {}, person.identity));
      }
    };
    const clients = people.map(client);

    const events = await Promise.all(
      Array.from({ length: TICKETS }, (_, n) => {
        const ticketId = randomUUID();
        const requester = people[n % people.length];
        return service.publish(
          anEvent('ticket.created', {
            aggregateId: ticketId,
            actor: { id: requester.userId, role: 'CUSTOMER' },
            payload: { ticketId, requesterId: requester.userId, title: `Printer ${n}` },
          }),
        );
      }),
    );
    const ids = events.map((event) => event.id);
    try {
      await waitFor(async () => (await processedCount(ids)) === TICKETS, {
        description: `the ${TICKETS} tickets' notifications to be delivered`,
        timeoutMs: 60_000,
      });
      // Emails go once their message committed: each one tried, none left being sent.
      for (const id of ids) await service.waitForProcessed(id);
    } finally {
      loading = false;
      await Promise.all(clients);
      await sampler.stop();
    }

    const share = processConnections(service.config.DATABASE_POOL_SIZE);
    expect(sampler.peak).toBeGreaterThan(1);
    expect(sampler.peak).toBeLessThanOrEqual(share);
    expect([...sampler.names].sort()).toEqual(
      [applicationName('notification'), applicationName('notification', 'listener')].sort(),
    );
    expect(responses.length).toBeGreaterThan(CLIENTS);
    expect(responses.filter((response) => response.errors?.length)).toEqual([]);
    const retried = await scrapeMetric(service.instance.managementUrl, 'messaging_consumed_total', {
      queue: 'notification.deliveries',
      outcome: 'retried',
    });
    expect(retried ?? 0).toBe(0);
    expect(await service.deadLetterCount()).toBe(0);
    expect(service.smtp.mails.length).toBeGreaterThanOrEqual(TICKETS);
  }, 120_000);
});

describe('notification service: a pool kept full', () => {
  const ACQUIRE_TIMEOUT_MS = 300;
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    service = await startNotificationService({
      DATABASE_POOL_SIZE: '2',
      DATABASE_POOL_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
      CONSUMER_PREFETCH: '1',
    });
  });

  afterAll(() => service?.close());

  it('answers SERVICE_UNAVAILABLE once the acquire timeout has passed, and serves again once it empties', async () => {
    const viewer = await service.registerPerson('CUSTOMER');
    const before = dataOf(await service.instance.query(UNREAD_COUNT, {}, viewer.identity));
    // Both connections open before the lock (a delivery needs only one at a time): one opened
    // while the lock is held could take longer than the acquire timeout on a busy machine.
    const warming = [1, 2].map(() => service.instance.app.get(DataSource).createQueryRunner());
    await Promise.all(warming.map((runner) => runner.connect()));
    await Promise.all(warming.map((runner) => runner.release()));
    const blocker = await service.connectDatabase();
    await blocker.query('BEGIN');
    // Both pooled connections get stuck behind the lock, each with a request on it.
    await blocker.query('LOCK TABLE notification.notifications IN ACCESS EXCLUSIVE MODE');
    const stuck = [1, 2].map(() => service.instance.query(UNREAD_COUNT, {}, viewer.identity));
    await waitFor(
      async () => {
        const { rows } = await blocker.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
          [applicationName('notification')],
        );
        return rows[0].waiting === 2;
      },
      { description: 'both pooled connections to wait for the lock' },
    );

    const started = Date.now();
    const refused = await service.instance.query(UNREAD_COUNT, {}, viewer.identity);
    const waited = Date.now() - started;
    await blocker.query('ROLLBACK');

    expect(refused.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(waited).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(ACQUIRE_TIMEOUT_MS + 3000);
    for (const response of await Promise.all(stuck)) {
      expect(response.data).toEqual(before);
    }
  });
});
