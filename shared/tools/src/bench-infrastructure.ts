import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:net';
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

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('could not read the port of a probe socket'));
    });
  });
}

/** `count` distinct ports that are free right now (held together so none is handed out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map(listen));
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}
