import type { AddressInfo, Server } from 'node:net';
import { DataSource } from 'typeorm';
import { installGracefulShutdown } from '@servicedesk/platform';
import { TestResource, waitFor } from '@servicedesk/testing';
import {
  capturingLogger,
  createGate,
  createProbeApp,
  createProbeDatabase,
  gatewayHeaders,
  probeGate,
} from './probe-app';

describe('graceful shutdown', () => {
  let database: TestResource;

  beforeAll(async () => {
    database = await createProbeDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  const shutdowns: Array<(signal?: string) => Promise<void>> = [];

  afterEach(async () => {
    // A test that failed half-way must not leave the resolver waiting or the app running;
    // shutting down twice is a no-op.
    probeGate.current.open();
    await Promise.all(shutdowns.splice(0).map((shutdown) => shutdown('TEST')));
  });

  async function startApp(timeoutMs: number) {
    const logs = capturingLogger();
    const app = await createProbeApp(database.url, logs.logger);
    const shutdown = installGracefulShutdown(app, { logger: logs.logger, timeoutMs, signals: [] });
    shutdowns.push(shutdown);
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as Server;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { app, server, url, logs, shutdown };
  }

  async function postGraphQL(url: string, query: string) {
    return fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await gatewayHeaders()) },
      body: JSON.stringify({ query }),
    });
  }

  it('finishes in-flight requests, refuses new ones, then runs the shutdown hooks (database last)', async () => {
    const { app: running, server, url, logs, shutdown } = await startApp(10000);
    const dataSource = running.get(DataSource);
    probeGate.current = createGate();
    const inFlight = postGraphQL(url, '{ gatedNoteCount }');
    await probeGate.current.entered;

    const shuttingDown = shutdown('TEST');
    await waitFor(() => !server.listening, { description: 'the server to stop listening' });

    await expect(postGraphQL(url, '{ correlationId }')).rejects.toThrow();
    expect(dataSource.isInitialized).toBe(true);

    probeGate.current.open();
    const response = await inFlight;
    await shuttingDown;

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { gatedNoteCount: 0 } });
    expect(dataSource.isInitialized).toBe(false);
    expect(
      logs.lines.map((line) => line.msg).filter((msg) => String(msg).startsWith('shutdown:')),
    ).toEqual([
      'shutdown: started, no longer ready',
      'shutdown: http server closed',
      'shutdown: database pool closed',
      'shutdown: application hooks done',
      'shutdown: complete',
    ]);
  });

  it('cuts requests that outlive the timeout and still completes the shutdown', async () => {
    const { app: running, url, logs, shutdown } = await startApp(50);
    const dataSource = running.get(DataSource);
    probeGate.current = createGate();
    const inFlight = postGraphQL(url, '{ gatedNoteCount }').then(
      (response) => response.status,
      (error: Error) => error.message,
    );
    await probeGate.current.entered;

    await shutdown('TEST');

    expect(await inFlight).toBe('fetch failed');
    expect(dataSource.isInitialized).toBe(false);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringContaining('did not finish in time'),
      }),
    );
  });
});
