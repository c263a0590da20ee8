import type { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  TestResource,
  createTestDatabase,
  createTestVhost,
  subgraphClient,
} from '@servicedesk/testing';
import { createUserApp } from '../../src/app';
import { Clock } from '../../src/clock';
import { UserConfig, loadUserConfig } from '../../src/config';
import { migrateUserDatabase } from '../../src/migrate';

/** Real time plus an offset the test moves forward, so nothing has to wait for real minutes. */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface RunningUserService {
  app: INestApplication;
  baseUrl: string;
  graphqlUrl: string;
  dataSource: DataSource;
  /** Calls the subgraph as the gateway does, on behalf of `identity` (anonymous by default). */
  query: ReturnType<typeof subgraphClient>['query'];
  close(): Promise<void>;
}

/** One database and one vhost for a test file; `start` may run several apps against them. */
export interface UserServiceEnvironment {
  config: UserConfig;
  clock: TestClock;
  start(): Promise<RunningUserService>;
  /** Number of rows in a table of the `user` schema. */
  count(table: string, where?: string, parameters?: unknown[]): Promise<number>;
  dispose(): Promise<void>;
}

export async function userServiceEnvironment(
  env: Record<string, string> = {},
): Promise<UserServiceEnvironment> {
  const [database, vhost] = await Promise.all([createTestDatabase(), createTestVhost()]);
  const resources: TestResource[] = [database, vhost];
  const config = loadUserConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    USER_PORT: '0',
    DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    ...env,
  });
  await migrateUserDatabase(config);
  const clock = new TestClock();
  const running: RunningUserService[] = [];

  async function start(): Promise<RunningUserService> {
    const app = await createUserApp(config, { clock });
    await app.listen(0, '127.0.0.1');
    const address = (app.getHttpServer() as Server).address();
    if (typeof address !== 'object' || !address)
      throw new Error('the user service is not listening');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const client = subgraphClient({
      url: `${baseUrl}/graphql`,
      service: 'user',
      secret: config.SERVICE_TOKEN_SECRET,
    });
    const service: RunningUserService = {
      app,
      baseUrl,
      graphqlUrl: `${baseUrl}/graphql`,
      dataSource: app.get(DataSource),
      query: client.query,
      close: async () => {
        running.splice(running.indexOf(service), 1);
        await app.close();
      },
    };
    running.push(service);
    return service;
  }

  return {
    config,
    clock,
    start,
    async count(table, where = 'true', parameters = []) {
      const [service] = running;
      if (!service) throw new Error('start the service before counting rows');
      const [row] = await service.dataSource.query(
        `SELECT count(*)::int AS count FROM "user".${table} WHERE ${where}`,
        parameters,
      );
      return row.count;
    },
    async dispose() {
      await Promise.all(running.map((service) => service.app.close()));
      await Promise.all(resources.map((resource) => resource.drop()));
    },
  };
}
