import { randomBytes } from 'node:crypto';
import {
  SmtpTestServer,
  TestResource,
  createTestDatabase,
  createTestVhost,
  dataOf,
  gatewayClient,
  postGraphQL,
  startSmtpServer,
  waitFor,
} from '@servicedesk/testing';
import { freePorts } from '../../../shared/tools/src/bench-infrastructure';
import { ALL_PROCESSES } from '../../../shared/tools/src/processes';
import {
  ServiceStack,
  managementEnvironment,
  stackEnvironment,
  stackPorts,
} from '../../../shared/tools/src/start';
import {
  discardedOutput,
  sourceCommand,
} from '../../../shared/tools/test/support/source-processes';
import { unthrottledRateLimits } from '../fixtures/rate-limit-keys';
import { Actor, loginAdmin, register, registerAgent } from './actors';
import { BOOK, DAY_MS, setWorkingHours, slotsOf } from './calendar';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from './otlp-receiver';

/**
 * One trace per request, from the gateway to the email: every process runs from its sources
 * with tracing on (the SDK instruments modules as Node loads them, which Jest's loader
 * bypasses), exporting to an OTLP receiver in this test.
 */

const ADMIN = { email: 'root@tracing.servicedesk.test', password: 'Tracing-admin-password-42!' };
const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

let receiver: OtlpReceiver;
let database: TestResource;
let vhost: TestResource;
let mail: SmtpTestServer;
let stack: ServiceStack;
let ports: ReadonlyMap<string, number>;
let managementPorts: ReadonlyMap<string, number>;
const unexpectedExits: string[] = [];
let gatewayUrl: string;
let gateway: { api: ReturnType<typeof gatewayClient>; admin: typeof ADMIN };

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  database = await createTestDatabase();
  vhost = await createTestVhost();
  mail = await startSmtpServer();
  const free = await freePorts(2 * ALL_PROCESSES.length);
  ports = stackPorts(() => free.pop()!);
  managementPorts = stackPorts(() => free.pop()!);
  stack = new ServiceStack({
    env: stackEnvironment(ports, {
      ...unthrottledRateLimits('e2e-tracing'),
      ...managementEnvironment((spec) => managementPorts.get(spec.name)!),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      SMTP_URL: mail.url,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Spans leave each process a tenth of a second after they end, not five seconds.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    }),
    output: discardedOutput(),
    say: () => undefined,
    onUnexpectedExit: (name, reason) => unexpectedExits.push(`${name} ${reason}`),
    command: sourceCommand,
  });
  await stack.start();
  gatewayUrl = `http://127.0.0.1:${ports.get('gateway')}/graphql`;
  gateway = { api: gatewayClient(gatewayUrl), admin: ADMIN };
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await mail?.close();
  await vhost?.drop();
  await database?.drop();
  await receiver?.close();
});

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Runs an operation as a client that starts a trace of its own (a sampled W3C traceparent). */
async function tracedOperation(
  actor: Actor,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ traceId: string; clientSpanId: string }> {
  const traceId = hex(16);
  const clientSpanId = hex(8);
  dataOf(
    await postGraphQL(
      gatewayUrl,
      {
        authorization: `Bearer ${actor.accessToken}`,
        traceparent: `00-${traceId}-${clientSpanId}-01`,
      },
      query,
      variables,
    ),
  );
  return { traceId, clientSpanId };
}

function named(spans: ReceivedSpan[], service: string, name: string): ReceivedSpan[] {
  return spans.filter((span) => span.service === `servicedesk-${service}` && span.name === name);
}

/** Whether `ancestor` is `span` or one of its ancestors within `spans`. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  for (let at: ReceivedSpan | undefined = span; at; at = byId.get(at.parentSpanId)) {
    if (at.spanId === ancestor.spanId) return true;
  }
  return false;
}

/**
 * Waits until the trace holds one connected tree under the client's span, from the gateway's
 * request through `event`'s publish by `publisher` to its processing by audit and
 * notification and the email sent; returns the trace's spans.
 */
async function endToEndTrace(
  { traceId, clientSpanId }: { traceId: string; clientSpanId: string },
  publisher: string,
  event: string,
): Promise<ReceivedSpan[]> {
  return waitFor(
    () => {
      const spans = receiver.spans.filter((span) => span.traceId === traceId);
      const ids = new Set(spans.map((span) => span.spanId));
      const [request] = spans.filter((span) => span.parentSpanId === clientSpanId);
      expect(request).toMatchObject({ service: 'servicedesk-gateway', kind: SERVER });
      // One tree: every other span's parent is in the trace (children end, and are exported,
      // before their parents).
      expect(spans.filter((span) => span !== request && !ids.has(span.parentSpanId))).toEqual([]);

      const subgraphRequest = spans.find(
        (span) => span.service === `servicedesk-${publisher}` && span.kind === SERVER,
      );
      const [publish] = named(spans, publisher, `publish ${event}`);
      expect(publish).toMatchObject({ kind: PRODUCER });
      expect(descendsFrom(publish, subgraphRequest!, spans)).toBe(true);
      expect(descendsFrom(subgraphRequest!, request, spans)).toBe(true);

      // Every delivery (a retried one too) is processed as a child of the publish.
      const processed = [
        ...named(spans, 'audit', `process ${event}`),
        ...named(spans, 'notification', `process ${event}`),
      ];
      expect(new Set(processed.map((span) => span.service))).toEqual(
        new Set(['servicedesk-audit', 'servicedesk-notification']),
      );
      for (const span of processed) {
        expect(span).toMatchObject({ kind: CONSUMER, parentSpanId: publish.spanId });
      }
      const notifying = [
        ...named(spans, 'notification', 'store notifications'),
        ...named(spans, 'notification', 'smtp send'),
      ];
      expect(notifying.map((span) => span.name)).toEqual(
        expect.arrayContaining(['store notifications', 'smtp send']),
      );
      for (const span of notifying) {
        expect(processed.some((parent) => descendsFrom(span, parent, spans))).toBe(true);
      }
      return spans;
    },
    { timeoutMs: 30_000, description: `the trace of ${event}, from the gateway to the email` },
  );
}

const CREATE_TICKET = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }`;

describe('one trace per request', () => {
  let customer: Actor;

  beforeAll(async () => {
    customer = await register(gateway, 'Ada');
  });

  it('covers a createTicket from the gateway to the ticket service, its publish, the audit, the notification and the SMTP send', async () => {
    const operation = await tracedOperation(customer, CREATE_TICKET, {
      input: { title: 'Printer on fire', description: 'Smoke.', priority: 'HIGH', tags: [] },
    });

    const spans = await endToEndTrace(operation, 'ticket', 'ticket.created');

    expect([...new Set(spans.map((span) => span.service))]).toEqual(
      expect.arrayContaining(
        ['gateway', 'ticket', 'audit', 'notification'].map((s) => `servicedesk-${s}`),
      ),
    );
  });

  it('keeps each request of a burst in a complete trace of its own, whatever batches their events form', async () => {
    const operations = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        tracedOperation(customer, CREATE_TICKET, {
          input: { title: `Burst ${n}`, description: 'At once.', priority: 'NORMAL', tags: [] },
        }),
      ),
    );

    for (const operation of operations) {
      const spans = await endToEndTrace(operation, 'ticket', 'ticket.created');
      // Its own event's confirmation, stored and emailed; no other request's.
      expect(named(spans, 'notification', 'store notifications')).toHaveLength(1);
      expect(named(spans, 'notification', 'smtp send')).toHaveLength(1);
    }
  });

  it('covers a bookAppointment from the gateway to the appointment service, its publish, the audit, the notification and the SMTP sends', async () => {
    const agent = await registerAgent(gateway, await loginAdmin(gateway), 'Grace');
    await setWorkingHours(agent, {});
    const [slot] = await slotsOf(customer, agent.id, new Date(), new Date(Date.now() + 7 * DAY_MS));

    const operation = await tracedOperation(customer, BOOK, {
      input: { agentId: agent.id, startsAt: slot.startsAt, durationMinutes: 60 },
    });

    const spans = await endToEndTrace(operation, 'appointment', 'appointment.booked');
    // One email to the customer, one to the agent.
    expect(named(spans, 'notification', 'smtp send')).toHaveLength(2);
  });
});

describe('what is exported', () => {
  it('has no span for health probes or metrics scrapes, and no signal but traces', async () => {
    // Whichever port serves them: a request to the other one is not traced either.
    for (const port of [...ports.values(), ...managementPorts.values()]) {
      for (const path of ['/health/live', '/health/ready', '/metrics']) {
        expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBeLessThan(500);
      }
    }
    // A graceful stop flushes every span the processes still hold.
    await stack.stop();

    expect(unexpectedExits).toEqual([]);
    const probeSpans = receiver.spans.filter((span) =>
      ['url.path', 'http.target', 'http.route'].some((key) =>
        /^\/(health\/|metrics)/.test(String(span.attributes[key] ?? '')),
      ),
    );
    expect(probeSpans).toEqual([]);
    expect(receiver.spans.length).toBeGreaterThan(0);
    expect(new Set(receiver.exports)).toEqual(new Set(['/v1/traces']));
  });
});
