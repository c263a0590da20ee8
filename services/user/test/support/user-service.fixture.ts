import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Clock, Identity } from '@servicedesk/platform';
import { EVENTS_EXCHANGE } from '@servicedesk/messaging';
import {
  EventPublisher,
  ServiceInstance,
  ServiceUnderTest,
  anIdentity,
  closeOnFailure,
  serviceEnvironment,
  startServiceUnderTest,
  TestClock,
} from '@servicedesk/testing';
import { createUserApp } from '../../src/app';
import { UserConfig, loadUserConfig } from '../../src/config';
import { migrateUserDatabase } from '../../src/migrate';

/** One running instance of the user service. */
export interface UserServiceInstance extends ServiceInstance<INestApplication> {
  /** The instance's own pool, as the service uses it. */
  dataSource: DataSource;
}

interface UserServiceTools {
  clock: TestClock;
  /** Number of rows in a table of the `user` schema. */
  count(table: string, where?: string, parameters?: unknown[]): Promise<number>;
  /** The identity of someone who is an admin in the database right now (there always is one). */
  anAdmin(): Promise<Identity>;
}

/** A running user service on its own database and vhost, and the tools to drive it. */
export interface UserServiceFixture
  extends ServiceUnderTest<UserConfig, INestApplication>, UserServiceTools {
  dataSource: DataSource;
}

/** One database and one vhost for a test file; `start` may run several instances on them. */
export interface UserServiceEnvironment extends UserServiceTools {
  config: UserConfig;
  start(): Promise<UserServiceInstance>;
  close(): Promise<void>;
}

function userServiceOptions(clock: Clock, env: Record<string, string>) {
  return {
    service: 'user',
    loadConfig: loadUserConfig,
    env,
    migrate: migrateUserDatabase,
    createApp: (config: UserConfig) => createUserApp(config, { clock }),
    // The user events need a route, or the relay's mandatory publishes bounce and no outbox
    // row ever reaches PUBLISHED.
    async beforeStart({ events }: { events: EventPublisher }) {
      const { queue } = await events.channel.assertQueue('test.user-events', { durable: false });
      await events.channel.bindQueue(queue, EVENTS_EXCHANGE, 'user.#');
    },
  };
}

function databaseTools(db: Client): Omit<UserServiceTools, 'clock'> {
  return {
    async count(table, where = 'true', parameters = []) {
      const { rows } = await db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM "user".${table} WHERE ${where}`,
        parameters,
      );
      return rows[0].count;
    },
    async anAdmin() {
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM "user".users WHERE role = 'ADMIN' ORDER BY created_at, id LIMIT 1`,
      );
      return anIdentity('ADMIN', rows[0].id);
    },
  };
}

export async function startUserService(
  env: Record<string, string> = {},
): Promise<UserServiceFixture> {
  const clock = new TestClock();
  const service = await startServiceUnderTest(userServiceOptions(clock, env));
  return {
    ...service,
    clock,
    ...databaseTools(service.db),
    dataSource: service.app.get(DataSource),
  };
}

/** For tests about starting the service itself: nothing runs until they call `start`. */
export async function userServiceEnvironment(
  env: Record<string, string> = {},
): Promise<UserServiceEnvironment> {
  const clock = new TestClock();
  const environment = await serviceEnvironment(userServiceOptions(clock, env));
  return closeOnFailure(environment, async () => ({
    config: environment.config,
    clock,
    ...databaseTools(await environment.connectDatabase()),
    async start() {
      const instance = await environment.startInstance();
      return { ...instance, dataSource: instance.app.get(DataSource) };
    },
    close: () => environment.close(),
  }));
}
