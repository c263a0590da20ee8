// An OTLP/HTTP receiver in the test process, as a collector would be: it keeps the spans the
// platform exports (OTLP JSON, what @opentelemetry/exporter-trace-otlp-http sends) and the
// path of every export, so a test can see which signals were sent.
import { IncomingMessage, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for the root of a trace. */
  parentSpanId: string;
  name: string;
  /** OTLP's numbering: 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** `servicedesk-<process>`. */
  service: string;
  attributes: Record<string, unknown>;
  startTimeUnixNano: string;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** The path of each export received, in order: `/v1/traces`, `/v1/metrics`, `/v1/logs`. */
  exports: string[];
  close(): Promise<void>;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

interface ExportTraceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: KeyValue[] }>;
    }>;
  }>;
}

/** `{ stringValue: 'x' }` → 'x', `{ intValue: '3' }` → '3': each attribute's one value. */
function attributesOf(list: KeyValue[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

function spansOf(request: ExportTraceRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpan) => {
    const service = String(attributesOf(resourceSpan.resource?.attributes)['service.name']);
    return (resourceSpan.scopeSpans ?? []).flatMap((scopeSpan) =>
      (scopeSpan.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        service,
        attributes: attributesOf(span.attributes),
        startTimeUnixNano: span.startTimeUnixNano,
      })),
    );
  });
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: string[] = [];
  const server = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      exports.push(request.url ?? '');
      if (request.url === '/v1/traces' && request.headers['content-type'] === 'application/json') {
        spans.push(...spansOf(JSON.parse(body.toString('utf8')) as ExportTraceRequest));
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    exports,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
