import { ChildProcess, spawn, StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { redactUrl } from '@servicedesk/platform';
import { childEnvironment, configuredPorts, loadToolsConfig } from './config';
import { ensureBroker, ensureDatabase } from './infrastructure-check';
import { MailCatcher, smtpReachable, startMailCatcher } from './mail-catcher';
import {
  ALL_PROCESSES,
  GATEWAY_PROCESS,
  ProcessSpec,
  REPOSITORY_ROOT,
  SUBGRAPH_PROCESSES,
} from './processes';

/**
 * `npm start`: checks PostgreSQL and RabbitMQ, runs every service's migrations, starts
 * the subgraphs, waits until each is ready, then starts the gateway and prints its URL.
 * Ctrl-C (or SIGTERM) stops everything gracefully. The benchmark drives the same
 * `ServiceStack` against its own database, vhost and ports.
 */
const READY_TIMEOUT_MS = 60_000;

export function entry(spec: ProcessSpec, file: string): string {
  return join(REPOSITORY_ROOT, spec.dir, 'dist', file);
}

/** The port of every process, by process name. */
export function stackPorts(portOf: (spec: ProcessSpec) => number): Map<string, number> {
  return new Map(ALL_PROCESSES.map((spec) => [spec.name, portOf(spec)]));
}

/** The environment every process of the stack gets: ports, subgraph URLs, JWKS, plus `extra`. */
export function stackEnvironment(
  ports: ReadonlyMap<string, number>,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return childEnvironment({
    ...Object.fromEntries(ALL_PROCESSES.map((s) => [s.portVariable, String(ports.get(s.name))])),
    ...Object.fromEntries(
      SUBGRAPH_PROCESSES.map((s) => [
        `${s.name.toUpperCase()}_SUBGRAPH_URL`,
        `http://127.0.0.1:${ports.get(s.name)}/graphql`,
      ]),
    ),
    JWKS_URL: `http://127.0.0.1:${ports.get('user')}/.well-known/jwks.json`,
    ...extra,
  });
}

export interface ServiceStackOptions {
  env: NodeJS.ProcessEnv;
  ports: ReadonlyMap<string, number>;
  /** Where the processes' own output goes ('inherit' for `npm start`). */
  stdio: StdioOptions;
  say(line: string): void;
  /** A process stopped although nobody asked it to. */
  onUnexpectedExit(name: string, reason: string): void;
}

/** Every process of the platform: migrated and started in order, stopped together. */
export class ServiceStack {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(private readonly options: ServiceStackOptions) {}

  /** Brings every service's schema up to date, one service after the other. */
  async migrate(): Promise<void> {
    for (const spec of SUBGRAPH_PROCESSES) {
      this.options.say(`migrating ${spec.name}`);
      await this.runToCompletion(spec, 'migrate.js');
    }
  }

  /** Runs the migrations, starts the subgraphs, waits until each is ready, then the gateway. */
  async start(): Promise<void> {
    const { ports } = this.options;
    await this.migrate();
    for (const spec of SUBGRAPH_PROCESSES) this.startProcess(spec);
    await Promise.all(
      SUBGRAPH_PROCESSES.map((spec) => this.waitUntilReady(spec, ports.get(spec.name)!)),
    );
    this.startProcess(GATEWAY_PROCESS);
    await this.waitUntilReady(GATEWAY_PROCESS, ports.get(GATEWAY_PROCESS.name)!);
  }

  /** Sends SIGTERM to every running process and waits until each has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r()))),
    );
    for (const child of this.children.values()) child.kill('SIGTERM');
    await Promise.all(exits);
  }

  /** Last resort when this process exits without `stop()`: no process outlives its supervisor. */
  signalRemaining(): void {
    for (const child of this.children.values()) child.kill('SIGTERM');
  }

  private runToCompletion(spec: ProcessSpec, file: string): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [entry(spec, file)], {
        env: this.options.env,
        stdio: this.options.stdio,
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolvePromise()
          : reject(new Error(`${spec.name}: ${file} exited with code ${code}`)),
      );
    });
  }

  private startProcess(spec: ProcessSpec): void {
    // Stopped while a migration ran: starting more would leave processes nobody stops.
    if (this.stopping) throw new Error(`stopped before ${spec.name} was started`);
    const child = spawn(process.execPath, [entry(spec, 'main.js')], {
      env: this.options.env,
      stdio: this.options.stdio,
      // Its own process group: a Ctrl-C in the terminal reaches only this supervisor, which
      // then stops each process once (a second signal would make it exit without draining).
      detached: true,
    });
    this.children.set(spec.name, child);
    child.on('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (!this.stopping) this.options.onUnexpectedExit(spec.name, signal ?? `exit code ${code}`);
    });
  }

  private async waitUntilReady(spec: ProcessSpec, port: number): Promise<void> {
    const url = `http://127.0.0.1:${port}/health/ready`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.children.has(spec.name)) throw new Error(`${spec.name} exited before it was ready`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${spec.name} was not ready at ${url} within ${READY_TIMEOUT_MS / 1000} s`);
  }
}

function say(line: string): void {
  process.stdout.write(`[servicedesk] ${line}\n`);
}

let stack: ServiceStack | undefined;
let mailCatcher: MailCatcher | undefined;
let stopping = false;

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stack?.stop();
  await mailCatcher?.close();
  process.exit(exitCode);
}

/** Where the notification service sends email, the same default as its own configuration. */
const LOCAL_SMTP_URL = 'smtp://127.0.0.1:1025';

/**
 * Emails need an SMTP server. Configured: it should answer (the notification service retries
 * while it does not). Not configured and none on the local default: `npm start` catches them.
 */
async function prepareMail(configured: string | undefined): Promise<void> {
  const url = configured ?? LOCAL_SMTP_URL;
  if (await smtpReachable(url)) return;
  if (configured) {
    say(`no SMTP server answers at ${redactUrl(url)}: emails will be retried until one does`);
    return;
  }
  mailCatcher = await startMailCatcher(url, say);
  say(`no SMTP_URL set: emails are caught at ${url} and listed here`);
}

async function main(): Promise<void> {
  const config = loadToolsConfig();
  await ensureDatabase(config.DATABASE_URL);
  await ensureBroker(config.RABBITMQ_URL);
  await prepareMail(config.SMTP_URL);

  const ports = configuredPorts(ALL_PROCESSES);
  stack = new ServiceStack({
    env: stackEnvironment(ports),
    ports,
    stdio: 'inherit',
    say,
    onUnexpectedExit: (name, reason) => {
      say(`${name} stopped unexpectedly (${reason}); stopping the rest`);
      void stopAll(1);
    },
  });
  await stack.start();
  say(`ready: GraphQL API at http://localhost:${ports.get('gateway')}/graphql (Ctrl-C to stop)`);
}

if (require.main === module) {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.on('exit', () => stack?.signalRemaining());
  main().catch((error: Error) => {
    say(`could not start: ${error.message}`);
    void stopAll(1);
  });
}
