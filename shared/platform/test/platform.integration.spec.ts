import { INestApplication } from '@nestjs/common';
import { SignJWT } from 'jose';
import request from 'supertest';
import { Client } from 'pg';
import {
  CORRELATION_ID_HEADER,
  Identity,
  ManagementEndpoints,
  SERVICE_NAME_HEADER,
  SERVICE_TOKEN_HEADER,
  UNEXPECTED_ERROR_MESSAGE,
  migrate,
} from '@servicedesk/platform';
import { TestResource, anIdentity, metricSample } from '@servicedesk/testing';
import {
  PROBE_SCHEMA,
  PROBE_SERVICE,
  capturingLogger,
  createProbeApp,
  createProbeDataSource,
  createProbeDatabase,
  gatewayHeaders,
  managementUrlOf,
  probeCalls,
  probeCredential,
  probeSecret,
  switchableCheck,
} from './probe-app';

const agent = anIdentity('AGENT');
const admin = anIdentity('ADMIN');

describe('PlatformModule in a running subgraph', () => {
  let database: TestResource;
  let app: INestApplication;
  const logs = capturingLogger();

  async function graphql(
    query: string,
    options: { identity?: Identity | null; headers?: Record<string, string> } = {},
  ) {
    return request(app.getHttpServer())
      .post('/graphql')
      .set(await gatewayHeaders(options.identity ?? null))
      .set(options.headers ?? {})
      .send({ query });
  }

  async function metricValue(name: string, labels: Record<string, string>) {
    const response = await request(managementUrlOf(app)).get('/metrics').expect(200);
    return metricSample(response.text, name, labels);
  }

  beforeAll(async () => {
    database = await createProbeDatabase();
    app = await createProbeApp(database.url, logs.logger);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  beforeEach(() => {
    logs.lines.length = 0;
    probeCalls.count = 0;
    switchableCheck.down = false;
  });

  describe('service credential', () => {
    it('rejects POST /graphql without a credential with 401 UNAUTHENTICATED, before any resolver runs', async () => {
      const response = await request(app.getHttpServer())
        .post('/graphql')
        .send({ query: '{ whoami { userId } }' });

      expect(response.status).toBe(401);
      expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(probeCalls.count).toBe(0);
      expect(logs.lines).toContainEqual(
        expect.objectContaining({ level: 'warn', msg: expect.stringContaining('rejected') }),
      );
    });

    it.each([
      [
        'signed with another secret',
        () => probeCredential(agent, { secret: 'another-secret-of-enough-length' }),
      ],
      ['addressed to another service', () => probeCredential(agent, { audience: 'ticket' })],
      [
        'expired',
        () =>
          new SignJWT({ role: agent.role })
            .setProtectedHeader({ alg: 'HS256' })
            .setIssuer('gateway')
            .setAudience(PROBE_SERVICE)
            .setSubject(agent.userId)
            .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
            .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
            .sign(new TextEncoder().encode(probeSecret())),
      ],
      ['not a token at all', async () => 'garbage'],
    ])('rejects a credential %s with 401', async (_case, makeToken) => {
      const response = await request(app.getHttpServer())
        .post('/graphql')
        .set(SERVICE_NAME_HEADER, 'gateway')
        .set(SERVICE_TOKEN_HEADER, await makeToken())
        .send({ query: '{ whoami { userId } }' });

      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
      });
      expect(probeCalls.count).toBe(0);
    });

    it('rejects a credential whose issuer differs from x-service-name', async () => {
      const response = await request(app.getHttpServer())
        .post('/graphql')
        .set(SERVICE_NAME_HEADER, 'ticket')
        .set(SERVICE_TOKEN_HEADER, await probeCredential(agent))
        .send({ query: '{ whoami { userId } }' });

      expect(response.status).toBe(401);
      expect(probeCalls.count).toBe(0);
    });

    it('serves a valid credential and exposes its identity through currentIdentity()', async () => {
      const response = await graphql('{ whoami { userId role } }', { identity: agent });

      expect(response.status).toBe(200);
      expect(response.body.data.whoami).toEqual({ userId: agent.userId, role: agent.role });
      expect(probeCalls.count).toBe(1);
    });

    it('serves an anonymous call (credential without identity) with a null identity', async () => {
      const response = await graphql('{ whoami { userId } }');

      expect(response.status).toBe(200);
      expect(response.body.data.whoami).toBeNull();
    });
  });

  describe('correlation id', () => {
    it('echoes the caller’s x-correlation-id and makes it the request context’s', async () => {
      const response = await graphql('{ correlationId }', {
        headers: { [CORRELATION_ID_HEADER]: 'corr-test-42' },
      });

      expect(response.headers[CORRELATION_ID_HEADER]).toBe('corr-test-42');
      expect(response.body.data.correlationId).toBe('corr-test-42');
    });

    it('creates a correlation id when the caller sent none', async () => {
      const response = await graphql('{ correlationId }');

      expect(response.headers[CORRELATION_ID_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.body.data.correlationId).toBe(response.headers[CORRELATION_ID_HEADER]);
    });
  });

  describe('health', () => {
    it('serves probes and metrics on the management port only: the public port answers 404', async () => {
      expect(app.get(ManagementEndpoints).port).toEqual(expect.any(Number));
      for (const path of ['/health/live', '/health/ready', '/metrics']) {
        await request(managementUrlOf(app)).get(path).expect(200);
        await request(app.getHttpServer()).get(path).expect(404);
      }
    });

    it('answers /health/live with 200 without a credential', async () => {
      await request(managementUrlOf(app)).get('/health/live').expect(200, { status: 'ok' });
    });

    it('answers /health/ready with 200 when every check passes', async () => {
      const response = await request(managementUrlOf(app)).get('/health/ready');

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        status: 'ready',
        checks: { switchable: { status: 'up' }, database: { status: 'up' } },
      });
    });

    it('answers /health/ready with 503 naming the failing check', async () => {
      switchableCheck.down = true;

      const response = await request(managementUrlOf(app)).get('/health/ready');

      expect(response.status).toBe(503);
      expect(response.body.status).toBe('not_ready');
      expect(response.body.checks.switchable).toEqual({
        status: 'down',
        error: 'switched off by the test',
      });
      expect(response.body.checks.database).toEqual({ status: 'up' });
    });
  });

  describe('metrics', () => {
    it('exposes default metrics and the HTTP request histogram without a credential', async () => {
      await graphql('{ correlationId }');

      const response = await request(managementUrlOf(app)).get('/metrics').expect(200);

      expect(response.text).toContain('process_cpu_user_seconds_total');
      expect(response.text).toMatch(
        /http_request_duration_seconds_bucket\{[^}]*method="POST"[^}]*route="\/graphql"[^}]*status_code="200"/,
      );
    });

    it('counts the SQL statements run for requests in db_queries_total{origin="http"}', async () => {
      const before = (await metricValue('db_queries_total', { origin: 'http' })) ?? 0;

      const response = await graphql('{ noteCount }');

      expect(response.body.data.noteCount).toBe(0);
      expect(await metricValue('db_queries_total', { origin: 'http' })).toBe(before + 1);
    });
  });

  describe('errors', () => {
    it.each([
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'CONFLICT',
      'FORBIDDEN',
      'UNAUTHENTICATED',
      'SERVICE_UNAVAILABLE',
    ])('maps a typed error thrown in a resolver to %s', async (code) => {
      const response = await graphql(`{ fail(code: "${code}") }`);

      expect(response.body.errors[0].extensions.code).toBe(code);
      expect(response.body.errors[0].extensions).not.toHaveProperty('stacktrace');
    });

    it('adds the offending field to BAD_USER_INPUT', async () => {
      const response = await graphql('{ fail(code: "BAD_USER_INPUT") }');

      expect(response.body.errors[0].extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'input.email',
      });
    });

    it('maps an unreachable database to SERVICE_UNAVAILABLE', async () => {
      const response = await graphql('{ fail(code: "CONNECTION") }');

      expect(response.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(JSON.stringify(response.body)).not.toContain('5432');
    });

    it('hides an unexpected error behind INTERNAL_SERVER_ERROR "Unexpected error" and logs the original', async () => {
      const response = await graphql('{ fail(code: "UNKNOWN") }', {
        headers: { [CORRELATION_ID_HEADER]: 'corr-crash' },
      });

      expect(response.body.errors[0]).toMatchObject({
        message: UNEXPECTED_ERROR_MESSAGE,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(response.body)).not.toMatch(
        /secret internal detail|app\.ts|stacktrace/,
      );
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          correlationId: 'corr-crash',
          err: expect.objectContaining({ message: 'secret internal detail at /srv/app.ts:12' }),
        }),
      );
    });

    it('applies requireRole inside resolvers: FORBIDDEN for the wrong role, the value for the right one', async () => {
      const denied = await graphql('{ adminOnly }', { identity: agent });
      const allowed = await graphql('{ adminOnly }', { identity: admin });
      const anonymous = await graphql('{ adminOnly }');

      expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(allowed.body.data.adminOnly).toBe(admin.userId);
      expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('maps errors thrown in __resolveReference', async () => {
      const response = await graphql(
        '{ _entities(representations: [{ __typename: "Widget", id: "missing" }]) { ... on Widget { id } } }',
        { identity: admin },
      );

      expect(response.body.errors[0].extensions.code).toBe('NOT_FOUND');
      expect(response.body.errors[0].message).toBe('Widget missing was not found');
    });

    it('maps typed and unexpected errors thrown in field resolvers, with the request context available', async () => {
      const forbidden = await graphql('{ widget(id: "w1") { secret } }', { identity: agent });
      const broken = await graphql('{ widget(id: "broken") { secret } }', { identity: admin });
      const allowed = await graphql('{ widget(id: "w1") { secret } }', { identity: admin });

      expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(broken.body.errors[0]).toMatchObject({
        message: UNEXPECTED_ERROR_MESSAGE,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(allowed.body.data.widget.secret).toBe('secret of w1');
    });
  });

  describe('several apps in one process', () => {
    it('keeps a separate metrics registry per app', async () => {
      const other = await createProbeApp(database.url);
      try {
        const unauthenticatedCall = (target: INestApplication) =>
          request(target.getHttpServer()).post('/graphql').send({ query: '{ correlationId }' });
        await unauthenticatedCall(other).expect(401);
        await unauthenticatedCall(other).expect(401);
        await unauthenticatedCall(app).expect(401);
        const refusedCalls = async (target: INestApplication) => {
          const text = (await request(managementUrlOf(target)).get('/metrics')).text;
          return metricSample(text, 'http_requests_total', {
            route: '/graphql',
            status_code: '401',
          });
        };

        const before = await refusedCalls(app);
        await unauthenticatedCall(other).expect(401);

        expect(await refusedCalls(other)).toBe(3);
        expect(await refusedCalls(app)).toBe(before);
      } finally {
        await other.close();
      }
    });
  });

  describe('migrate()', () => {
    it('creates the (reserved-word) schema with its tables and is idempotent', async () => {
      const dataSource = createProbeDataSource(database.url);
      await migrate(dataSource, PROBE_SCHEMA);
      await migrate(dataSource, PROBE_SCHEMA);
      await dataSource.destroy();

      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const tables = await client.query(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
          [PROBE_SCHEMA],
        );
        const applied = await client.query(`SELECT name FROM "${PROBE_SCHEMA}"."migrations"`);
        expect(tables.rows.map((row) => row.table_name)).toEqual(['migrations', 'note']);
        expect(applied.rows).toEqual([{ name: 'CreateNotes1700000000000' }]);
      } finally {
        await client.end();
      }
    });

    it('leaves a working schema: a mutation writes through the app', async () => {
      const response = await graphql('mutation { addNote(body: "hello") }');

      expect(response.body.data.addNote).toEqual(expect.any(Number));
    });
  });
});
