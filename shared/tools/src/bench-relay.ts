// The outbox relay alone beside a plain confirm loop, in one process and without the services,
// so that the relay's own cost can be measured (and profiled with `node --cpu-prof`).
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  DEFAULT_RELAY_OPTIONS,
  MessagingMetrics,
  OutboxRelay,
  messagingMigration,
  relayOptions,
} from '@servicedesk/messaging';
import { createDataSource, createLogger, migrate } from '@servicedesk/platform';
import { cpuMsOf } from './bench-gateway-process';
import { ConfirmedPublisher } from './bench-pipeline-broker';
import { PipelineDatabase } from './bench-pipeline-database';
import { TICKET_CREATED, TICKET_SERVICE, ticketCreatedEnvelopes } from './bench-pipeline-envelopes';
import { benchName, createBenchDatabase, createBenchVhost } from './bench-infrastructure';
import { percentile } from './bench-stats';
import { loadToolsConfig } from './config';

/**
 * `node shared/tools/dist/bench-relay.js [--rows 2000] [--runs 5]`: per run, writes `rows`
 * ticket.created rows to a `ticket` outbox in one statement while the relay is idle, wakes it
 * and times it until it is idle again with every row PUBLISHED; then publishes the same
 * messages with a plain confirm loop in batches of the relay's size. Prints each run and the
 * medians, and the CPU time the drains cost this process and the database's sessions (read
 * from /proc, so with PostgreSQL on this machine): less sensitive to other work on the
 * machine than the times are. Its own database and vhost, removed at the end.
 */

const logger = createLogger('bench-relay', 'warn');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

async function main(): Promise<void> {
  const rows = argument('rows', 2000);
  const runs = argument('runs', 5);
  const config = loadToolsConfig();
  const name = benchName();
  const database = await createBenchDatabase(config.DATABASE_URL, name);
  const vhost = await createBenchVhost(config.RABBITMQ_URL, name);
  let dataSource: DataSource | undefined;
  let db: PipelineDatabase | undefined;
  let publisher: ConfirmedPublisher | undefined;
  let relay: OutboxRelay | undefined;
  let sessions: Client | undefined;
  try {
    dataSource = createDataSource({
      url: database.url,
      schema: TICKET_SERVICE,
      entities: [],
      migrations: [messagingMigration(TICKET_SERVICE)],
      logger,
      pool: { DATABASE_POOL_SIZE: 4, DATABASE_POOL_ACQUIRE_TIMEOUT_MS: 10_000 },
    });
    await migrate(dataSource, TICKET_SERVICE);
    db = await PipelineDatabase.open(database.url);
    relay = new OutboxRelay({
      dataSource,
      service: TICKET_SERVICE,
      schema: TICKET_SERVICE,
      rabbitmqUrl: vhost.url,
      logger,
      metrics: new MessagingMetrics(new Registry()),
      topology: [],
      // Woken by the benchmark only: no poll or notification starts a pass of its own.
      options: relayOptions({ pollIntervalMs: 3_600_000 }),
    });
    // The relay declares the events exchange as it connects.
    await relay.start();
    await relay.idle();
    publisher = await ConfirmedPublisher.open(vhost.url);
    let sink = await publisher.bindQueue(TICKET_CREATED);

    sessions = new Client({ connectionString: database.url });
    await sessions.connect();
    const requesters = [{ id: '00000000-0000-4000-8000-000000000001' }];
    const relayMs: number[] = [];
    const rawMs: number[] = [];
    let relayCpuMs = 0;
    let databaseCpuMs = 0;
    let rawCpuMs = 0;
    say(`rows ${rows}, batch size ${DEFAULT_RELAY_OPTIONS.batchSize}`);
    say('run  relay ms  raw ms  ratio  load (1 min)');
    for (let run = 1; run <= runs; run += 1) {
      const envelopes = ticketCreatedEnvelopes(requesters, rows);
      await db.insertOutboxRows(TICKET_SERVICE, envelopes);
      const databaseBefore = await databaseCpu(sessions);
      const cpuBefore = process.cpuUsage();
      const relayStart = performance.now();
      relay.wake();
      await relay.idle();
      relayMs.push(performance.now() - relayStart);
      const cpu = process.cpuUsage(cpuBefore);
      relayCpuMs += (cpu.user + cpu.system) / 1000;
      databaseCpuMs += (await databaseCpu(sessions, databaseBefore)).total;
      const pending = await db.pendingIn(TICKET_SERVICE);
      if (pending > 0) throw new Error(`${pending} rows still pending after the relay's drain`);

      const rawCpuBefore = process.cpuUsage();
      const raw = await publisher.publish(envelopes, DEFAULT_RELAY_OPTIONS.batchSize);
      const rawCpu = process.cpuUsage(rawCpuBefore);
      rawCpuMs += (rawCpu.user + rawCpu.system) / 1000;
      rawMs.push(raw.endedAt - raw.startedAt);
      await publisher.removeQueue(sink);
      sink = await publisher.bindQueue(TICKET_CREATED);
      say(
        `${String(run).padStart(3)}  ${relayMs[run - 1].toFixed(0).padStart(8)}  ` +
          `${rawMs[run - 1].toFixed(0).padStart(6)}  ` +
          `${(rawMs[run - 1] / relayMs[run - 1]).toFixed(2).padStart(5)}  ${loadavg()[0].toFixed(2)}`,
      );
    }
    const relayMedian = median(relayMs);
    const rawMedian = median(rawMs);
    say(
      `median: relay ${relayMedian.toFixed(0)} ms (${((rows * 1000) / relayMedian).toFixed(0)}/s), ` +
        `raw ${rawMedian.toFixed(0)} ms (${((rows * 1000) / rawMedian).toFixed(0)}/s), ` +
        `relay ÷ raw ${(rawMedian / relayMedian).toFixed(2)}; load average ${loadavg()
          .map((value) => value.toFixed(2))
          .join(' ')}`,
    );
    const perThousand = (ms: number) => ((ms * 1000) / (rows * runs)).toFixed(1);
    say(
      `CPU per 1,000 rows drained: relay process ${perThousand(relayCpuMs)} ms, ` +
        `database sessions ${perThousand(databaseCpuMs)} ms; the raw loop's process ` +
        `${perThousand(rawCpuMs)} ms`,
    );
  } finally {
    await sessions?.end();
    await relay?.stop();
    await publisher?.close();
    await db?.close();
    await dataSource?.destroy();
    await vhost.remove();
    await database.remove();
  }
}

/**
 * CPU time (ms) of the database's backends, by pid, and in total: since `before` when given
 * (a backend started since then counts from its start).
 */
async function databaseCpu(
  sessions: Client,
  before?: Map<number, number>,
): Promise<Map<number, number> & { total: number }> {
  const { rows } = await sessions.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const times = Object.assign(new Map<number, number>(), { total: 0 });
  for (const { pid } of rows) {
    let ms: number;
    try {
      ms = cpuMsOf(pid);
    } catch {
      continue; // A session that ended meanwhile.
    }
    times.set(pid, ms);
    times.total += ms - (before?.get(pid) ?? 0);
  }
  return times;
}

function median(samples: readonly number[]): number {
  return (
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    ) ?? Number.NaN
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
