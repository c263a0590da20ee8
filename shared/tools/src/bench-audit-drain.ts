import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { runSecrets } from './bench';
import {
  auditBacklog,
  DrainFigures,
  DrainSample,
  drainFigures,
  median,
} from './bench-audit-drain-figures';
import { cpuMsOf } from './bench-gateway-process';
import {
  benchName,
  createBenchDatabase,
  createBenchVhost,
  freePorts,
} from './bench-infrastructure';
import { ConfirmedPublisher } from './bench-pipeline-broker';
import { declareBrokerTopology } from './broker-topology';
import { childEnvironment, loadToolsConfig } from './config';
import { SUBGRAPH_PROCESSES } from './processes';
import { entry } from './start';
import { Interrupted, ToolRun, runWithCleanup, unlessAborted } from './tool-run';

/**
 * The audit consumer alone working off a backlog, measured by what it costs per event: CPU
 * time of the audit process and of its PostgreSQL backends per 1,000 entries, which holds
 * up on a busy machine where events/s does not. Each run queues a backlog (a ticket.created
 * and its two notification.sent, as in the pipeline) while the built audit service is
 * stopped, starts it, and samples its entries and CPU until the last entry is in. Run it with
 *
 *     npm run build && node shared/tools/dist/bench-audit-drain.js [--events 6000] [--runs 3]
 *       [--people 8] [--cpu-prof <folder>]
 *
 * `--cpu-prof` writes a V8 CPU profile of each run's audit process into the folder.
 */

const USAGE = `Usage: node shared/tools/dist/bench-audit-drain.js [--events <n>] [--runs <n>] [--people <n>] [--cpu-prof <folder>]`;
const SAMPLE_EVERY_MS = 50;
const PUBLISH_BATCH = 200;
const AUDIT = SUBGRAPH_PROCESSES.find((spec) => spec.name === 'audit')!;

function say(line: string): void {
  process.stderr.write(`[bench-audit-drain] ${line}\n`);
}

interface Options {
  events: number;
  runs: number;
  people: number;
  cpuProfileFolder: string | null;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: 'string', default: '6000' },
      runs: { type: 'string', default: '3' },
      people: { type: 'string', default: '8' },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  const whole = (name: string, value: string) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) {
      throw new Error(`--${name} must be a whole number above 0\n${USAGE}`);
    }
    return number;
  };
  return {
    // Whole tickets: each brings its two notifications.
    events: Math.max(3, Math.round(whole('events', values.events) / 3) * 3),
    runs: whole('runs', values.runs),
    people: whole('people', values.people),
    cpuProfileFolder: values['cpu-prof'] ? resolve(values['cpu-prof']) : null,
  };
}

/** The audit service's process, from the build. */
class AuditProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
  ) {}

  static start(env: NodeJS.ProcessEnv, file: string, logFile: string, nodeArgs: string[]) {
    const log = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, [...nodeArgs, entry(AUDIT, file)], {
        env,
        stdio: ['ignore', log, log],
      });
      const exited = new Promise<number | null>((settle) => child.once('exit', settle));
      return new AuditProcess(child, exited);
    } finally {
      closeSync(log);
    }
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** Reads the recorded entries and the CPU of the audit service's database sessions. */
class DrainProbe {
  /** Last CPU reading (ms) of each backend of the audit service seen so far, by pid. */
  private readonly backends = new Map<number, number>();

  constructor(private readonly db: Client) {}

  async recorded(): Promise<number> {
    const { rows } = await this.db.query<{ recorded: string }>(
      'SELECT coalesce(max(seq), 0)::text AS recorded FROM audit.audit_entry',
    );
    return Number(rows[0].recorded);
  }

  async sample(auditPid: number): Promise<DrainSample> {
    const { rows } = await this.db.query<{ recorded: string; pids: number[] }>(
      `SELECT (SELECT coalesce(max(seq), 0) FROM audit.audit_entry)::text AS recorded,
              ARRAY(SELECT pid FROM pg_stat_activity
                     WHERE datname = current_database()
                       AND application_name LIKE 'servicedesk-audit%') AS pids`,
    );
    for (const pid of rows[0].pids) {
      try {
        this.backends.set(pid, cpuMsOf(pid));
      } catch {
        // The session ended between the query and the read: its last reading stands.
      }
    }
    return {
      at: performance.now(),
      recorded: Number(rows[0].recorded),
      auditCpuMs: cpuMsOf(auditPid),
      databaseCpuMs: [...this.backends.values()].reduce((sum, ms) => sum + ms, 0),
    };
  }
}

interface RunFigures extends DrainFigures {
  load: string;
}

async function benchmark(options: Options, run: ToolRun): Promise<string> {
  const { cleanups, signal, fail } = run;
  const config = loadToolsConfig();
  const name = benchName();
  const database = await createBenchDatabase(config.DATABASE_URL, name);
  cleanups.push({ what: `drop database ${name}`, run: database.remove });
  const vhost = await createBenchVhost(config.RABBITMQ_URL, name);
  cleanups.push({ what: `delete vhost ${name}`, run: vhost.remove });
  if (vhost.caveat) throw new Error(`the benchmark needs a vhost of its own: ${vhost.caveat}`);
  const logFolder = mkdtempSync(join(tmpdir(), 'servicedesk-bench-audit-'));
  let succeeded = false;
  cleanups.push({
    what: `remove the logs in ${logFolder}`,
    run: async () => {
      if (succeeded) rmSync(logFolder, { recursive: true, force: true });
      else say(`the audit service's log is kept in ${logFolder}`);
    },
  });

  const [port, managementPort] = await freePorts(2);
  const env = childEnvironment({
    ...runSecrets(),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    AUDIT_PORT: String(port),
    AUDIT_MANAGEMENT_PORT: String(managementPort),
    STARTUP_TIMEOUT_MS: '120000',
  });
  const logFile = join(logFolder, 'audit.log');
  const migration = AuditProcess.start(env, 'migrate.js', logFile, []);
  if ((await unlessAborted(migration.exited, signal)) !== 0) {
    throw new Error(`the audit migration failed (see ${logFile})`);
  }
  await declareBrokerTopology(env, say);

  const db = new Client({ connectionString: database.url, application_name: 'servicedesk-bench' });
  await db.connect();
  cleanups.push({ what: 'close the database session', run: () => db.end() });
  const probe = new DrainProbe(db);
  const people = Array.from({ length: options.people }, () => randomUUID());
  const nodeArgs = options.cpuProfileFolder
    ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileFolder}`]
    : [];

  const runs: RunFigures[] = [];
  for (let index = 1; index <= options.runs; index += 1) {
    // Seqs are contiguous from 1 in a log of the run's own: the highest is the count.
    const before = await probe.recorded();
    const backlog = auditBacklog(people, options.events / 3);
    const publisher = await ConfirmedPublisher.open(vhost.url);
    try {
      const published = await publisher.publish(backlog, PUBLISH_BATCH);
      if (published.returned > 0) throw new Error(`${published.returned} events were unroutable`);
    } finally {
      await publisher.close();
    }
    say(`run ${index}: ${backlog.length} events queued; starting the audit service`);
    const audit = AuditProcess.start(env, 'main.js', logFile, nodeArgs);
    const pid = audit.child.pid!;
    let stopping = false;
    void audit.exited.then((code) => {
      if (!stopping) fail(new Error(`the audit service exited with ${code} (see ${logFile})`));
    });
    const samples: DrainSample[] = [];
    const deadline = Date.now() + 60_000 + 20 * backlog.length;
    try {
      for (;;) {
        const sample = await probe.sample(pid);
        samples.push({ ...sample, recorded: sample.recorded - before });
        if (sample.recorded - before >= backlog.length) break;
        if (Date.now() > deadline) {
          throw new Error(`${sample.recorded - before} of ${backlog.length} entries in time`);
        }
        await sleep(SAMPLE_EVERY_MS, undefined, { signal });
      }
    } finally {
      stopping = true;
      await audit.stop();
    }
    const load = loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
    const figures = { ...drainFigures(samples), load };
    say(`run ${index}: ${describe(figures)}`);
    runs.push(figures);
  }
  succeeded = true;
  return report(options, runs);
}

function describe(figures: DrainFigures): string {
  return (
    `${Math.round(figures.perSecond)} events/s, CPU per 1,000 events: ` +
    `audit ${figures.auditCpuPerThousand.toFixed(3)} s, PostgreSQL ${figures.databaseCpuPerThousand.toFixed(3)} s`
  );
}

function report(options: Options, runs: readonly RunFigures[]): string {
  const row = (label: string, run: DrainFigures, load: string) =>
    [
      label.padEnd(6),
      String(Math.round(run.events)).padStart(6),
      run.seconds.toFixed(2).padStart(7),
      String(Math.round(run.perSecond)).padStart(8),
      run.auditCpuPerThousand.toFixed(3).padStart(13),
      run.databaseCpuPerThousand.toFixed(3).padStart(18),
      load.padEnd(14),
    ].join(' | ');
  const mid = (pick: (run: DrainFigures) => number) => median(runs.map(pick));
  const middle: DrainFigures = {
    events: mid((run) => run.events),
    seconds: mid((run) => run.seconds),
    perSecond: mid((run) => run.perSecond),
    auditCpuPerThousand: mid((run) => run.auditCpuPerThousand),
    databaseCpuPerThousand: mid((run) => run.databaseCpuPerThousand),
  };
  return [
    `audit drain: ${options.events} events a run (ticket.created with personal data, two ` +
      `notification.sent each) for ${options.people} people; CPU in seconds per 1,000 events`,
    '| run    | events | seconds | events/s | audit CPU s/k | PostgreSQL CPU s/k | load 1/5/15    |',
    '| ------ | ------ | ------- | -------- | ------------- | ------------------ | -------------- |',
    ...runs.map((run, index) => `| ${row(String(index + 1), run, run.load)} |`),
    `| ${row('median', middle, '')} |`,
    '',
  ].join('\n');
}

if (require.main === module) {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  void runWithCleanup(say, (run) => benchmark(options, run)).then(({ value, failure }) => {
    if (failure) {
      say(`failed: ${failure.message}`);
      process.exitCode = failure instanceof Interrupted ? 130 : 1;
    } else {
      process.stdout.write(value);
    }
  });
}
