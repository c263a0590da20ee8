import { SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { tracing } from '@opentelemetry/sdk-node';
import {
  IdleRoundFilter,
  ROUND_ATTRIBUTE,
  ROUND_ITEMS_ATTRIBUTE,
  createLogger,
} from '@servicedesk/platform';
import {
  TestResource,
  createTestVhost,
  dataOf,
  eventPublisher,
  gatewayClient,
  postGraphQL,
  testInfrastructure,
  waitFor,
} from '@servicedesk/testing';
import { RunningGateway, createGateway, loadGatewayConfig } from '@servicedesk/gateway';
import { freePorts } from '../../../shared/tools/src/bench-infrastructure';
import { unthrottledRateLimits } from '../fixtures/rate-limit-keys';
import { Actor, createTicket, loginAdmin, register, registerAgent } from './actors';
import { BOOK, DAY_MS, MINUTE_MS, setWorkingHours, slotsOf } from './calendar';
import {
  PrometheusServer,
  alertRules,
  dashboardQueries,
  measuredBy,
  startPrometheus,
  testConfig,
} from './prometheus';
import { SubgraphName, Stack, startStack } from './stack';

/**
 * What operators watch, against a running platform: a real Prometheus scrapes every process
 * and RabbitMQ with the jobs of prometheus/prometheus.yml and evaluates
 * prometheus/alerts.yml, while the test drives traffic and the faults the panels and alerts
 * are about. Every Prometheus query of the Grafana dashboards, and what every alert
 * measures, must then answer with series: a query over a metric that is misnamed, never
 * exported or labelled otherwise answers with nothing, and its panel stays empty or its alert
 * never fires. The logs dashboard's queries are LogQL over Loki, which this test does not
 * run; they are left out.
 *
 * Traces are recorded in memory, as the SDK would export them, with the span processor of
 * `startTracing`: background rounds that handled something are traces of their own.
 */

/** RabbitMQ's prometheus plugin (rabbitmq_prometheus), on the broker's host. */
const RABBITMQ_PROMETHEUS_PORT = 15692;
const DLQ_ALERT = 'ServicedeskDeadLetterQueueNotEmpty';
/** Generous: scrapes and rule evaluations run every second, on a machine others load too. */
const SETTLE_MS = 45_000;
/** Room for a wait of SETTLE_MS and the queries around it. */
const TEST_TIMEOUT_MS = 2 * SETTLE_MS;

/** The queues bound to `ticket.created`, whose DLQs receive the poison message. */
const DEAD_LETTER_QUEUES = [
  'appointment.directory.dlq',
  'audit.events.dlq',
  'notification.deliveries.dlq',
];

const SUBGRAPHS: SubgraphName[] = ['user', 'ticket', 'appointment', 'audit', 'notification'];

let vhost: TestResource;
let stack: Stack;
/** A second gateway whose user service's key set is out of reach: it answers 503. */
let keylessGateway: RunningGateway;
let prometheus: PrometheusServer;
/** When the appointment booked by the customer starts. */
let appointmentStartsAt: string;

const spans = new tracing.InMemorySpanExporter();
const tracerProvider = new tracing.BasicTracerProvider({
  spanProcessors: [new IdleRoundFilter(new tracing.SimpleSpanProcessor(spans))],
});

const hostOf = (url: string) => new URL(url).host;

/** The spans of `traceSpans` above `span`, from its parent up to the root. */
function ancestry(
  span: tracing.ReadableSpan,
  traceSpans: tracing.ReadableSpan[],
): tracing.ReadableSpan[] {
  const byId = new Map(traceSpans.map((each) => [each.spanContext().spanId, each]));
  const above: tracing.ReadableSpan[] = [];
  for (
    let at = byId.get(span.parentSpanContext?.spanId ?? '');
    at;
    at = byId.get(at.parentSpanContext?.spanId ?? '')
  ) {
    above.push(at);
  }
  return above;
}

async function rabbitmqPrometheus(): Promise<string> {
  const host = `${new URL(testInfrastructure.rabbitmqUrl).hostname}:${RABBITMQ_PROMETHEUS_PORT}`;
  const reachable = await fetch(`http://${host}/metrics`).then(
    (response) => response.ok,
    () => false,
  );
  if (!reachable) {
    throw new Error(
      `RabbitMQ's prometheus plugin does not answer on ${host}: rabbitmq-plugins enable rabbitmq_prometheus (.ci/run does)`,
    );
  }
  return host;
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  const rabbitmq = await rabbitmqPrometheus();
  vhost = await createTestVhost();
  stack = await startStack(
    {
      // The test publishes into the stack's vhost, and scrapes its queues only.
      RABBITMQ_URL: vhost.url,
      // 5 × (3 + the LISTEN session) = 20 PostgreSQL connections instead of the default 38.
      DATABASE_POOL_SIZE: '3',
      CONSUMER_PREFETCH: '2',
      // A breaker opens after a couple of failed calls, not ten.
      CIRCUIT_BREAKER_VOLUME_THRESHOLD: '2',
    },
    { logger: (name) => createLogger(name, 'silent') },
  );
  const [deadPort] = await freePorts(1);
  keylessGateway = await createGateway(
    loadGatewayConfig({
      ...unthrottledRateLimits('e2e-observability'),
      NODE_ENV: 'test',
      GATEWAY_PORT: '0',
      GATEWAY_MANAGEMENT_PORT: '0',
      SERVICE_TOKEN_SECRET: stack.serviceTokenSecret,
      JWKS_URL: `http://127.0.0.1:${deadPort}/.well-known/jwks.json`,
      ...Object.fromEntries(
        SUBGRAPHS.map((name) => [`${name.toUpperCase()}_SUBGRAPH_URL`, stack.subgraphUrls[name]]),
      ),
    }),
    { logger: createLogger('gateway', 'silent') },
  );
  prometheus = await startPrometheus(
    testConfig({
      processes: {
        gateway: [hostOf(stack.gatewayManagementUrl), hostOf(keylessGateway.managementUrl)],
        ...Object.fromEntries(
          SUBGRAPHS.map((name) => [name, [hostOf(stack.subgraphManagementUrl(name))]]),
        ),
      },
      rabbitmq,
      vhost: decodeURIComponent(new URL(vhost.url).pathname.slice(1)),
    }),
  );
  const admin = await loginAdmin(stack);
  const customer = await driveTraffic(admin);
  await parkPoisonMessage();
  await failingCalls(admin, customer);
}, 180_000);

afterAll(async () => {
  await prometheus?.close();
  await keylessGateway?.close();
  await stack?.close();
  await vhost?.drop();
  await tracerProvider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

/**
 * What users do: register, sign in (once wrongly), open, discuss and resolve tickets, book;
 * one of the emails this sends is refused. Resolves to the customer.
 */
async function driveTraffic(admin: Actor): Promise<Actor> {
  const customer = await register(stack, 'Olive');
  const agent = await registerAgent(stack, admin, 'Otto');

  const refused = await stack.api.query(
    `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
    { email: customer.email, password: 'not-the-password' },
  );
  expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

  // One email is refused by the SMTP server: a failed notification.
  stack.mail.failNext(1, { code: 550, message: '5.1.1 mailbox unavailable' });
  const ticket = await createTicket(customer, { title: 'Dashboards stay empty' });
  dataOf(
    await customer.query(
      `mutation($t: ID!) { addComment(ticketId: $t, body: "Any news?") { id } }`,
      {
        t: ticket.id,
      },
    ),
  );
  const { assignTicket } = dataOf(
    await agent.query<{ assignTicket: { version: number } }>(
      `mutation($t: ID!, $a: ID!) { assignTicket(ticketId: $t, assigneeId: $a) { version } }`,
      { t: ticket.id, a: agent.id },
    ),
  );
  dataOf(
    await agent.query(
      `mutation($t: ID!, $v: Int!) { changeTicketStatus(ticketId: $t, status: RESOLVED, expectedVersion: $v) { status } }`,
      { t: ticket.id, v: assignTicket.version },
    ),
  );

  await setWorkingHours(agent, {});
  const [slot] = await slotsOf(customer, agent.id, new Date(), new Date(Date.now() + 7 * DAY_MS));
  dataOf(
    await customer.query(BOOK, {
      input: { agentId: agent.id, startsAt: slot.startsAt, durationMinutes: 60 },
    }),
  );
  appointmentStartsAt = slot.startsAt;
  await waitFor(() => stack.mail.rejected >= 1, {
    description: 'the SMTP server to refuse an email',
  });
  return customer;
}

/**
 * Calls that fail in each way the HTTP and subgraph panels and alerts tell apart, the last
 * ones with the audit subgraph stopped.
 */
async function failingCalls(admin: Actor, customer: Actor): Promise<void> {
  // A subgraph's GraphQL error (bad input), as the gateway sees it.
  const invalid = await customer.query(
    `mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
    { input: { title: '', description: 'x', priority: 'LOW', tags: [] } },
  );
  expect(invalid.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  // A document the gateway cannot parse: 400.
  expect((await postGraphQL(stack.gatewayUrl, {}, '{ tickets {')).status).toBe(400);
  // A subgraph called without the service credential: 401.
  expect((await postGraphQL(stack.subgraphUrls.ticket, {}, '{ __typename }')).status).toBe(401);
  // A gateway that cannot fetch the key set to verify a token: 503.
  const keyless = await gatewayClient(keylessGateway.url).query(
    '{ me { id } }',
    {},
    customer.accessToken,
  );
  expect(keyless.status).toBe(503);

  // A stopped subgraph: its calls fail, then its breaker in the gateway opens and answers at once.
  await stack.stopSubgraph('audit');
  for (let call = 0; call < 4; call += 1) {
    const answer = await admin.query('{ auditLog(first: 1) { edges { cursor } } }');
    expect(answer.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
  }
}

/** A message no consumer can read, parked in the DLQ of each queue bound to its type. */
async function parkPoisonMessage(): Promise<void> {
  const publisher = await eventPublisher(vhost.url);
  try {
    await publisher.publishRaw('ticket.created', Buffer.from('{ not json'));
    for (const queue of DEAD_LETTER_QUEUES) {
      await waitFor(async () => (await publisher.channel.checkQueue(queue)).messageCount >= 1, {
        timeoutMs: SETTLE_MS,
        description: `the poison message in ${queue}`,
      });
    }
  } finally {
    await publisher.close();
  }
}

/**
 * The entries of `queries` that Prometheus answers with no series, once every one answers
 * (or SETTLE_MS passed): the scrapes and rule evaluations that fill them run every second.
 */
async function withoutSeries(queries: Array<{ where: string; expr: string }>): Promise<string[]> {
  const empty = async () => {
    const missing: string[] = [];
    for (const { where, expr } of queries) {
      if ((await prometheus.query(expr)).length === 0) missing.push(`${where}: ${expr}`);
    }
    return missing;
  };
  try {
    return await waitFor(async () => ((await empty()).length === 0 ? [] : false), {
      timeoutMs: SETTLE_MS,
      intervalMs: 1_000,
      description: 'every query to answer with series',
    });
  } catch {
    return empty();
  }
}

describe('what operators watch, on a running platform', () => {
  it(
    'scrapes every process and RabbitMQ, and sees the stopped audit service down',
    async () => {
      const upNow = async () =>
        (await prometheus.query('up'))
          .map(({ metric, value }) => `${metric.service} ${value[1]}`)
          .sort();
      const expected = [
        'appointment 1',
        'audit 0',
        'gateway 1',
        'gateway 1',
        'notification 1',
        'rabbitmq 1',
        'ticket 1',
        'user 1',
      ];

      const up = await waitFor(
        async () => {
          const now = await upNow();
          return JSON.stringify(now) === JSON.stringify(expected) ? now : false;
        },
        { timeoutMs: SETTLE_MS, intervalMs: 500, description: 'the targets as expected' },
      ).catch(upNow);

      expect(up).toEqual(expected);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers every Prometheus query of the Grafana dashboards with series',
    async () => {
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThan(0);

      expect(await withoutSeries(queries)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers what every alert measures (its expression without its thresholds) with series',
    async () => {
      const rules = alertRules();
      expect(rules.length).toBeGreaterThan(0);

      const measured = rules.map((rule) => ({ where: rule.alert, expr: measuredBy(rule.expr) }));
      expect(await withoutSeries(measured)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `fires ${DLQ_ALERT} for the DLQs the poison message was parked in`,
    async () => {
      const firing = await waitFor(
        async () => {
          const alerts = await prometheus.query(
            `ALERTS{alertname="${DLQ_ALERT}", alertstate="firing"}`,
          );
          const queues = alerts.map((alert) => alert.metric.queue).sort();
          return queues.length >= DEAD_LETTER_QUEUES.length ? alerts : false;
        },
        { timeoutMs: SETTLE_MS, intervalMs: 500, description: `${DLQ_ALERT} to fire` },
      );

      expect(firing.map(({ metric }) => `${metric.service} ${metric.queue}`).sort()).toEqual(
        DEAD_LETTER_QUEUES.map((queue) => `${queue.split('.')[0]} ${queue}`),
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'traces a reminder from the detector round that emitted it to its emails, and no idle round',
    async () => {
      // Half an hour before the appointment: its one-hour reminder is due.
      stack.clocks.appointment.travelTo(new Date(Date.parse(appointmentStartsAt) - 30 * MINUTE_MS));
      const inTraceOf = (span: tracing.ReadableSpan) =>
        spans
          .getFinishedSpans()
          .filter((other) => other.spanContext().traceId === span.spanContext().traceId);

      // The notification's processing span ends after the emails it sends, so once it is in,
      // the whole trace is.
      const reminderTrace = await waitFor(
        () => {
          const round = spans
            .getFinishedSpans()
            .find(
              (span) =>
                span.name === 'emitting appointment reminders' &&
                inTraceOf(span).some(
                  (other) =>
                    other.name === 'process appointment.reminder_due' &&
                    other.attributes['messaging.destination.name'] === 'notification.deliveries',
                ),
            );
          return round && inTraceOf(round);
        },
        {
          timeoutMs: SETTLE_MS,
          description:
            "the notification service's processing of a reminder, in a detector round's trace",
        },
      );

      const roots = reminderTrace.filter((span) => span.parentSpanContext === undefined);
      expect(roots.map((span) => span.name)).toEqual(['emitting appointment reminders']);
      expect(roots[0].attributes[ROUND_ITEMS_ATTRIBUTE]).toBeGreaterThanOrEqual(1);
      const [processed] = reminderTrace.filter(
        (span) =>
          span.name === 'process appointment.reminder_due' &&
          span.attributes['messaging.destination.name'] === 'notification.deliveries',
      );
      const emails = reminderTrace.filter((span) => span.name === 'smtp send');
      // One to the customer, one to the agent, each sent while processing the reminder.
      expect(emails).toHaveLength(2);
      for (const email of emails) expect(ancestry(email, reminderTrace)).toContain(processed);
      expect(ancestry(processed, reminderTrace).map((span) => span.name)).toEqual(
        expect.arrayContaining([
          'publish appointment.reminder_due',
          'emitting appointment reminders',
        ]),
      );
      // The loops ran every 200 ms throughout, nearly always finding nothing: only rounds that
      // handled something (or failed at something) were kept.
      const rounds = spans.getFinishedSpans().filter((span) => span.attributes[ROUND_ATTRIBUTE]);
      const failedIn = (traceId: string) =>
        spans
          .getFinishedSpans()
          .some(
            (span) =>
              span.spanContext().traceId === traceId && span.status.code === SpanStatusCode.ERROR,
          );
      expect(
        rounds.filter(
          (round) =>
            !(Number(round.attributes[ROUND_ITEMS_ATTRIBUTE]) > 0) &&
            !failedIn(round.spanContext().traceId),
        ),
      ).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
