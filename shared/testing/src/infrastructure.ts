import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { testInfrastructure } from './test-environment';

export { testInfrastructure };

const run = promisify(execFile);

/** A short name unique to this test run and worker, safe in SQL identifiers and vhosts. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestResource {
  url: string;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: testInfrastructure.databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty PostgreSQL database for one test file; `drop()` removes it. */
export async function createTestDatabase(): Promise<TestResource> {
  const name = uniqueName('sdtest');
  await adminQuery(`CREATE DATABASE "${name}"`);
  return {
    url: withDatabase(testInfrastructure.databaseUrl, name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', ['-q', ...args]);
}

/** A fresh RabbitMQ virtual host for one test file; `drop()` deletes it with everything in it. */
export async function createTestVhost(): Promise<TestResource> {
  const name = uniqueName('sdtest');
  await rabbitmqctl('add_vhost', name);
  const user = new URL(testInfrastructure.rabbitmqUrl).username || 'guest';
  await rabbitmqctl('set_permissions', '-p', name, decodeURIComponent(user), '.*', '.*', '.*');
  const url = new URL(testInfrastructure.rabbitmqUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return { url: url.toString(), drop: () => rabbitmqctl('delete_vhost', name) };
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; description?: string } = {},
): Promise<T> {
  const { timeoutMs = 15000, intervalMs = 50, description = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
