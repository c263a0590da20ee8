import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { TcpProxy, TestResource, createTcpProxy, waitFor } from '@servicedesk/testing';
import { createProbeApp, createProbeDatabase, gatewayHeaders, managementUrlOf } from './probe-app';

/**
 * The database goes away under a running subgraph (a proxy between them is cut): callers
 * get SERVICE_UNAVAILABLE and readiness names the database, instead of a hang or a stack
 * trace; once it is back, requests succeed again.
 */
describe('a subgraph whose database becomes unreachable', () => {
  let database: TestResource;
  let proxy: TcpProxy;
  let app: INestApplication;

  async function graphql(query: string) {
    return request(app.getHttpServer())
      .post('/graphql')
      .set(await gatewayHeaders())
      .send({ query });
  }

  beforeAll(async () => {
    database = await createProbeDatabase();
    const target = new URL(database.url);
    proxy = await createTcpProxy(target.hostname, Number(target.port || 5432));
    app = await createProbeApp(proxy.urlFor(database.url));
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('answers normally while the database is reachable', async () => {
    const response = await graphql('{ noteCount }');
    expect(response.body).toEqual({ data: { noteCount: 0 } });
  });

  it('answers SERVICE_UNAVAILABLE, without internals, while it is not', async () => {
    proxy.cut();
    const response = await graphql('{ noteCount }');
    expect(response.status).toBe(200);
    expect(response.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(response.body)).not.toMatch(/at \w+ \(|ECONNREFUSED|127\.0\.0\.1/);
  });

  it('reports not ready, naming the database, while it is not', async () => {
    const ready = await request(managementUrlOf(app)).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database.status).toBe('down');
  });

  it('recovers once the database is back', async () => {
    proxy.restore();
    const recovered = await waitFor(
      async () => {
        const response = await graphql('{ noteCount }');
        return response.body.data?.noteCount === 0 ? response.body : undefined;
      },
      { description: 'queries to succeed again' },
    );
    expect(recovered).toEqual({ data: { noteCount: 0 } });
  });
});
