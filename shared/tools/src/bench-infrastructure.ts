import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ensureBroker, ensureDatabase } from './infrastructure-check';

/**
 * The benchmark's own infrastructure: a database and a RabbitMQ vhost nobody else uses,
 * and free ports, so a run starts from nothing, can run beside `npm start`, and leaves
 * nothing behind.
 */

const run = promisify(execFile);

export interface BenchResource {
  url: string;
  /** Why this resource is not isolated as it should be, if it is not. */
  caveat: string | null;
  remove(): Promise<void>;
}

/** A name unique to this run, safe as an SQL identifier and a vhost name. */
export function benchName(): string {
  return `servicedesk_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
}

function withPath(url: string, path: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(path)}`;
  return parsed.toString();
}

/** A fresh database `name` on the server of `databaseUrl`; throws a readable error when PostgreSQL is down. */
export async function createBenchDatabase(
  databaseUrl: string,
  name: string,
): Promise<BenchResource> {
  const url = withPath(databaseUrl, name);
  await ensureDatabase(url);
  return {
    url,
    caveat: null,
    async remove() {
      const client = new Client({ connectionString: withPath(databaseUrl, 'postgres') });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', ['-q', ...args]);
}

/**
 * A fresh vhost `name` on the broker of `rabbitmqUrl`. Without a working `rabbitmqctl` it
 * falls back to the URL's own vhost and says so in `caveat`. Throws a readable error when
 * RabbitMQ is down.
 */
export async function createBenchVhost(rabbitmqUrl: string, name: string): Promise<BenchResource> {
  await ensureBroker(rabbitmqUrl);
  try {
    await rabbitmqctl('add_vhost', name);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    return {
      url: rabbitmqUrl,
      caveat:
        `rabbitmqctl could not create a vhost (${reason}); the benchmark used the vhost of ` +
        'RABBITMQ_URL, whose queues a running `npm start` would share.',
      remove: async () => undefined,
    };
  }
  const remove = () => rabbitmqctl('delete_vhost', name);
  try {
    const user = decodeURIComponent(new URL(rabbitmqUrl).username || 'guest');
    await rabbitmqctl('set_permissions', '-p', name, user, '.*', '.*', '.*');
  } catch (error) {
    await remove();
    throw error;
  }
  return { url: withPath(rabbitmqUrl, name), caveat: null, remove };
}

/** Ports below this are left alone: well-known and registered services live there. */
const LOWEST_PORT = 10_000;

/** Where the kernel draws ports for port-0 binds and outgoing connections (Linux; IANA's elsewhere). */
function ephemeralPortsStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(start)) return start;
  } catch {
    // Not Linux: the IANA range below.
  }
  return 49_152;
}

/** Whether `port` can be listened on now (as the processes given it will: every address). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct ports that are free right now, for processes started afterwards. They are
 * drawn at random below the kernel's ephemeral range, not asked of the kernel: a port it hands
 * out for a port-0 bind is in that range, and between now and the moment a process listens on
 * it, any port-0 bind or outgoing connection on the machine (another test's, say) could take it.
 */
export async function freePorts(count: number): Promise<number[]> {
  const end = ephemeralPortsStart();
  if (end - LOWEST_PORT < 1_000) {
    throw new Error(`too few ports between ${LOWEST_PORT} and the ephemeral range (from ${end})`);
  }
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries += 1) {
    if (tries >= 100 * count) {
      throw new Error(
        `found ${ports.size} of ${count} free ports between ${LOWEST_PORT} and ${end}`,
      );
    }
    const port = randomInt(LOWEST_PORT, end);
    if (!ports.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}
