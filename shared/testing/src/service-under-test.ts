import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { ManagementEndpoints, managementPortVariable } from '@servicedesk/platform';
import { subgraphClient } from './graphql-client';
import { EventPublisher, eventPublisher } from './events';
import { createTestDatabase, createTestVhost, waitFor } from './infrastructure';

/** What the tests need of a service's Nest application. */
export interface ServiceApp {
  listen(port: number, hostname: string): Promise<unknown>;
  getHttpServer(): { address(): AddressInfo | string | null };
  /** Where the fixture finds the port its probes and metrics listen on. */
  get(token: typeof ManagementEndpoints): ManagementEndpoints;
  close(): Promise<void>;
}

export interface ServiceUnderTestOptions<C extends { SERVICE_TOKEN_SECRET: string }, A> {
  /** The subgraph's name: audience of its credentials, prefix of its port variable (`TICKET_PORT`). */
  service: string;
  /** The service's own config loader, handed test values for the variables every service reads. */
  loadConfig(env: Record<string, string>): C;
  /** Variables of this service on top of the test values. */
  env?: Record<string, string>;
  migrate(config: C): Promise<void>;
  /** Creates the app, not listening yet. */
  createApp(config: C): Promise<A>;
}

/** One running instance of the service. */
export interface ServiceInstance<A> {
  app: A;
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Base URL of its `/health/*` and `/metrics`, on a port apart from the public one. */
  managementUrl: string;
  graphqlUrl: string;
  /** Calls the subgraph as the gateway does, on behalf of `identity` (anonymous by default). */
  query: ReturnType<typeof subgraphClient>['query'];
  close(): Promise<void>;
}

/**
 * A migrated database and a vhost of their own for one test file, and the service's config
 * pointing at them; instances of the service started on it, and whatever else is opened
 * through it, are closed by `close`, which then drops the database and the vhost.
 */
export interface ServiceEnvironment<C, A> {
  config: C;
  databaseUrl: string;
  rabbitmqUrl: string;
  /** Starts an instance (another replica, after the first) and resolves once it is ready. */
  startInstance(): Promise<ServiceInstance<A>>;
  /** A superuser connection to the service's database, for arranging and asserting. */
  connectDatabase(): Promise<Client>;
  /** A publisher of events on the service's vhost, as the other services' relays. */
  eventPublisher(): Promise<EventPublisher>;
  close(): Promise<void>;
}

export async function serviceEnvironment<
  C extends { SERVICE_TOKEN_SECRET: string },
  A extends ServiceApp,
>(options: ServiceUnderTestOptions<C, A>): Promise<ServiceEnvironment<C, A>> {
  // Closed last-opened first: instances before the connections they use, the database last.
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    let failure: unknown;
    for (const close of closers.splice(0).reverse()) {
      // Keep going, so that a failed close never leaves a database or vhost behind.
      await close().catch((error: unknown) => (failure ??= error));
    }
    if (failure) throw failure;
  };
  const opened = <T>(resource: T, close: () => Promise<unknown>): T => {
    closers.push(close);
    return resource;
  };

  try {
    const database = await createTestDatabase();
    closers.push(database.drop);
    const vhost = await createTestVhost();
    closers.push(vhost.drop);
    const config = options.loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      [`${options.service.toUpperCase()}_PORT`]: '0',
      [managementPortVariable(options.service)]: '0',
      ...options.env,
    });
    await options.migrate(config);

    return {
      config,
      databaseUrl: database.url,
      rabbitmqUrl: vhost.url,
      async startInstance() {
        const app = await options.createApp(config);
        let closed = false;
        const close = async () => {
          if (closed) return;
          closed = true;
          await app.close();
        };
        closers.push(close);
        await app.listen(0, '127.0.0.1');
        const { port } = app.getHttpServer().address() as AddressInfo;
        const url = `http://127.0.0.1:${port}`;
        const managementUrl = `http://127.0.0.1:${app.get(ManagementEndpoints).port}`;
        await waitFor(async () => (await fetch(`${managementUrl}/health/ready`)).status === 200, {
          description: `the ${options.service} service to be ready (database, broker, consumers)`,
        });
        const client = subgraphClient({
          url: `${url}/graphql`,
          service: options.service,
          secret: config.SERVICE_TOKEN_SECRET,
        });
        return {
          app,
          url,
          managementUrl,
          graphqlUrl: `${url}/graphql`,
          query: client.query,
          close,
        };
      },
      async connectDatabase() {
        const client = new Client({ connectionString: database.url });
        await client.connect();
        return opened(client, () => client.end());
      },
      async eventPublisher() {
        const publisher = await eventPublisher(vhost.url);
        return opened(publisher, () => publisher.close());
      },
      close: closeAll,
    };
  } catch (error) {
    // The failure that stopped the start is the one worth reporting, not a later one.
    await closeAll().catch(() => undefined);
    throw error;
  }
}

/**
 * A service on its own database and vhost with one instance running, a superuser connection
 * to the database and a publisher of events: what most test files need. `close` stops
 * everything and drops the database and the vhost.
 */
export interface ServiceUnderTest<C, A>
  extends ServiceEnvironment<C, A>, Omit<ServiceInstance<A>, 'close'> {
  /** Superuser connection to the service's database, for arranging and asserting. */
  db: Client;
  /** Publishes events to the service's vhost as the other services' relays would. */
  events: EventPublisher;
}

export async function startServiceUnderTest<
  C extends { SERVICE_TOKEN_SECRET: string },
  A extends ServiceApp,
>(
  options: ServiceUnderTestOptions<C, A> & {
    /** Runs before the first instance starts, e.g. to declare a route the service relies on. */
    beforeStart?(prepared: { events: EventPublisher }): Promise<void>;
  },
): Promise<ServiceUnderTest<C, A>> {
  const environment = await serviceEnvironment(options);
  return closeOnFailure(environment, async () => {
    const db = await environment.connectDatabase();
    const events = await environment.eventPublisher();
    await options.beforeStart?.({ events });
    const { app, url, managementUrl, graphqlUrl, query } = await environment.startInstance();
    return { ...environment, app, url, managementUrl, graphqlUrl, query, db, events };
  });
}

/** Runs `build`; when it fails, closes `resource` before passing the error on. */
export async function closeOnFailure<T>(
  resource: { close(): Promise<void> },
  build: () => Promise<T>,
): Promise<T> {
  try {
    return await build();
  } catch (error) {
    await resource.close().catch(() => undefined);
    throw error;
  }
}
