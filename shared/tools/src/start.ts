import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { redactUrl } from '@servicedesk/platform';
import { declareBrokerTopology } from './broker-topology';
import { childEnvironment, configuredPorts, loadToolsConfig } from './config';
import { ensureBroker, ensureDatabase } from './infrastructure-check';
import { MailCatcher, smtpReachable, startMailCatcher } from './mail-catcher';
import {
  ALL_PROCESSES,
  GATEWAY_PROCESS,
  ProcessOutput,
  ProcessSpec,
  REPOSITORY_ROOT,
  SUBGRAPH_PROCESSES,
  describeExit,
  watchOutput,
} from './processes';

/**
 * `npm start`: checks PostgreSQL and RabbitMQ, runs every service's migrations, declares the
 * broker topology, starts the subgraphs, waits until each is ready, then starts the gateway and prints its URL.
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

/** Each process's `<SERVICE>_MANAGEMENT_PORT`, for a stack that must not take the default ones. */
export function managementEnvironment(
  portOf: (spec: ProcessSpec) => number,
): Record<string, string> {
  return Object.fromEntries(
    ALL_PROCESSES.map((spec) => [spec.managementPortVariable, String(portOf(spec))]),
  );
}

export interface ServiceStackOptions {
  /** Every process's environment; readiness is awaited on the management ports it names. */
  env: NodeJS.ProcessEnv;
  /** Where the processes' own output goes (the supervisor's stdout and stderr for `npm start`). */
  output: ProcessOutput;
  say(line: string): void;
  /**
   * A process stopped although nobody asked it to, while the stack started or later; the
   * stack stops the others (and a `start()` under way rejects with a `ProcessExitError`).
   */
  onUnexpectedExit(name: string, reason: string): void;
  /** Node's arguments to run `file` (`main.js`, `migrate.js`) of a process; its build by default. */
  command?(spec: ProcessSpec, file: string): string[];
}

/** A process of the stack stopped on its own; `reason` says how, with its last fatal line. */
export class ProcessExitError extends Error {
  constructor(
    readonly process: string,
    readonly reason: string,
  ) {
    super(`${process} ${reason}`);
    this.name = 'ProcessExitError';
  }
}

/** Every process of the platform: migrated and started in order, stopped together. */
export class ServiceStack {
  private readonly children = new Map<string, ChildProcess>();
  private stopping: Promise<void> | undefined;
  /** The first process that stopped on its own, which brought the stack down. */
  private failure: ProcessExitError | undefined;

  constructor(private readonly options: ServiceStackOptions) {}

  /**
   * Brings every service's schema up to date, one service after the other, then the broker's
   * topology: queues of older versions are migrated now, while nothing consumes them, where a
   * service would refuse to start on them.
   */
  async migrate(): Promise<void> {
    for (const spec of SUBGRAPH_PROCESSES) {
      this.options.say(`migrating ${spec.name}`);
      await this.runToCompletion(spec, 'migrate.js');
    }
    this.options.say('every schema is up to date');
    await declareBrokerTopology(this.options.env, this.options.say);
  }

  /**
   * Runs the migrations, starts the subgraphs, waits until each is ready, then the gateway.
   * If a process stops meanwhile, rejects with a `ProcessExitError` once the others stopped.
   */
  async start(): Promise<void> {
    await this.migrate();
    for (const spec of SUBGRAPH_PROCESSES) this.startProcess(spec);
    await Promise.all(SUBGRAPH_PROCESSES.map((spec) => this.waitUntilReady(spec)));
    this.startProcess(GATEWAY_PROCESS);
    await this.waitUntilReady(GATEWAY_PROCESS);
  }

  /** Sends SIGTERM to every running process and waits until each has exited. */
  stop(): Promise<void> {
    this.stopping ??= Promise.all(
      [...this.children].map(([name, child]) => {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        return exited.then(() => this.options.say(`${name} stopped`));
      }),
    ).then(() => undefined);
    return this.stopping;
  }

  /** The operating system's id of a running process of the stack, e.g. to read its CPU time. */
  pid(name: string): number | undefined {
    return this.children.get(name)?.pid;
  }

  /** Last resort when this process exits without `stop()`: no process outlives its supervisor. */
  signalRemaining(): void {
    for (const child of this.children.values()) child.kill('SIGTERM');
  }

  private spawn(spec: ProcessSpec, file: string, detached: boolean) {
    const args = this.options.command?.(spec, file) ?? [entry(spec, file)];
    const child = spawn(process.execPath, args, {
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached,
    });
    return { child, output: watchOutput(child, this.options.output) };
  }

  private runToCompletion(spec: ProcessSpec, file: string): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      const { child, output } = this.spawn(spec, file, false);
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0
          ? resolvePromise()
          : reject(
              new Error(`${spec.name}: ${file} ${describeExit(code, signal, output.lastFatal())}`),
            ),
      );
    });
  }

  private startProcess(spec: ProcessSpec): void {
    if (this.failure) throw this.failure;
    // Stopped while a migration ran: starting more would leave processes nobody stops.
    if (this.stopping) throw new Error(`stopped before ${spec.name} was started`);
    // Its own process group: a Ctrl-C in the terminal reaches only this supervisor, which
    // then stops each process once (a second signal would make it exit without draining).
    const { child, output } = this.spawn(spec, 'main.js', true);
    this.children.set(spec.name, child);
    child.on('exit', (code, signal) => {
      this.children.delete(spec.name);
      if (this.stopping) return;
      this.failure = new ProcessExitError(
        spec.name,
        describeExit(code, signal, output.lastFatal()),
      );
      this.options.onUnexpectedExit(spec.name, this.failure.reason);
      void this.stop();
    });
  }

  /** Polls the process's readiness on its management port (its variable in `env`, else its default). */
  private async waitUntilReady(spec: ProcessSpec): Promise<void> {
    const port = this.options.env[spec.managementPortVariable] ?? spec.defaultManagementPort;
    const url = `http://127.0.0.1:${port}/health/ready`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.failure) {
        await this.stopping;
        throw this.failure;
      }
      if (this.stopping) throw new Error(`stopped before ${spec.name} was ready`);
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
    output: { stdout: process.stdout, stderr: process.stderr },
    say,
    onUnexpectedExit: (name, reason) => {
      say(`${name} ${reason}; stopping the others`);
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
    // A process that stopped has been reported already, as it stopped.
    if (!(error instanceof ProcessExitError)) say(`could not start: ${error.message}`);
    void stopAll(1);
  });
}
