// The management surface of a process: `/health/live`, `/health/ready` and `/metrics` on a
// port of their own (`<SERVICE>_MANAGEMENT_PORT`), which the public route never exposes.
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

/** What `/health/ready` answers: 200 when ready, else 503, with `body` as JSON. */
export interface ReadinessAnswer {
  ready: boolean;
  body: unknown;
}

export interface ManagementServerOptions {
  /** The process's name, for its log line. */
  service: string;
  registry: Registry;
  readiness(): Promise<ReadinessAnswer>;
  logger: Logger;
}

/** The variable naming a process's management port: `TICKET_MANAGEMENT_PORT`, `GATEWAY_MANAGEMENT_PORT`… */
export function managementPortVariable(service: string): string {
  return `${service.toUpperCase()}_MANAGEMENT_PORT`;
}

/**
 * The management port a service's configuration names; a configuration without the variable
 * (an app assembled by a test) gets a free port, logged like any other.
 */
export function managementPortOf(service: string, config: object): number {
  const port = (config as Record<string, unknown>)[managementPortVariable(service)];
  return typeof port === 'number' ? port : 0;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

export class ManagementServer {
  private readonly server: Server;

  constructor(private readonly options: ManagementServerOptions) {
    this.server = createServer((request, response) => {
      this.answer(request, response).catch((error: unknown) => {
        options.logger.error({ err: error, path: request.url }, 'management request failed');
        if (!response.headersSent) sendJson(response, 500, { status: 'error' });
        else response.destroy();
      });
    });
  }

  /** Listens on `port` (0 picks a free one) on every interface, as probes come from outside the pod. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, () => {
        this.server.off('error', reject);
        const bound = (this.server.address() as AddressInfo).port;
        this.options.logger.info(
          { managementPort: bound, url: `http://localhost:${bound}/health/ready` },
          `${this.options.service} management endpoints listening`,
        );
        resolve(bound);
      });
    });
  }

  /** The port listened on; undefined before `listen` and after `close`. */
  get port(): number | undefined {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Probes and scrapes are short; an idle keep-alive scraper must not hold shutdown.
    this.server.closeAllConnections();
    await closed;
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://management').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendJson(response, 405, { status: 'method not allowed' });
    }
    if (path === '/health/live') return sendJson(response, 200, { status: 'ok' });
    if (path === '/health/ready') {
      const { ready, body } = await this.options.readiness();
      return sendJson(response, ready ? 200 : 503, body);
    }
    if (path === '/metrics') {
      const { registry } = this.options;
      const exposition = await registry.metrics();
      response.writeHead(200, { 'content-type': registry.contentType });
      response.end(exposition);
      return;
    }
    sendJson(response, 404, { status: 'not found' });
  }
}
