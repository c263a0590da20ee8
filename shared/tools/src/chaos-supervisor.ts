import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessSpec } from './processes';
import { entry } from './start';

/**
 * The fault-injection suite's process control: each service and the gateway run from the
 * build as processes of their own, one log file each, and can be started in any order, killed
 * with SIGKILL, restarted, or doubled by a second replica on another port.
 */

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const READY_POLL_MS = 250;

/** One running copy of a process: `ticket`, or `ticket-2` for a second replica. */
interface Instance {
  spec: ProcessSpec;
  port: number;
  child: ChildProcess;
  exited: Promise<void>;
  /** Set when the suite itself stopped or killed it, so its exit is no surprise. */
  expectedExit: boolean;
}

export interface SupervisorOptions {
  /** Where each instance writes its log (`<instance>.log`, appended across restarts). */
  logFolder: string;
  /** The environment of an instance of `spec` serving on `port`. */
  environment(spec: ProcessSpec, port: number): NodeJS.ProcessEnv;
}

/** Told when an instance stopped although the suite did not ask it to. */
export type ExitListener = (instance: string, reason: string) => void;

export class ChaosSupervisor {
  private readonly instances = new Map<string, Instance>();
  private exitListener: ExitListener = () => undefined;

  constructor(private readonly options: SupervisorOptions) {}

  /** Who decides what happens when an instance dies on its own (the runner restarts it). */
  onUnexpectedExit(listener: ExitListener): void {
    this.exitListener = listener;
  }

  /** Runs `spec`'s migrations to completion (what `npm run migrate` does for one service). */
  migrate(spec: ProcessSpec, port: number): Promise<void> {
    const child = this.spawn(spec, port, 'migrate.js', `${spec.name}-migrate`);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`${spec.name}: migrate.js exited with code ${code} (see its log)`)),
      );
    });
  }

  /** Starts `spec` as `instance` on `port` and waits until it reports ready. */
  async start(spec: ProcessSpec, port: number, instance = spec.name): Promise<void> {
    if (this.instances.has(instance)) throw new Error(`${instance} is already running`);
    const child = this.spawn(spec, port, 'main.js', instance);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const running: Instance = { spec, port, child, exited, expectedExit: false };
    this.instances.set(instance, running);
    child.once('exit', (code, signal) => {
      if (this.instances.get(instance) === running) this.instances.delete(instance);
      if (!running.expectedExit) {
        this.exitListener(instance, signal ?? `exit code ${code}`);
      }
    });
    await this.waitUntilReady(instance, running);
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is cut where it stands. */
  async kill(instance: string): Promise<void> {
    const running = this.expect(instance);
    running.expectedExit = true;
    running.child.kill('SIGKILL');
    await running.exited;
  }

  /** SIGTERM, then SIGKILL if it does not exit in time. */
  async stop(instance: string): Promise<void> {
    const running = this.instances.get(instance);
    if (!running) return;
    running.expectedExit = true;
    running.child.kill('SIGTERM');
    const timer = setTimeout(() => running.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await running.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.instances.keys()].map((instance) => this.stop(instance)));
  }

  /** Last resort when the suite exits without `stopAll()`: no process outlives it. */
  killRemaining(): void {
    for (const running of this.instances.values()) running.child.kill('SIGKILL');
  }

  isRunning(instance: string): boolean {
    return this.instances.has(instance);
  }

  /** The spec and port `instance` was started with, to start it again after a kill. */
  startedAs(instance: string): { spec: ProcessSpec; port: number } {
    const { spec, port } = this.expect(instance);
    return { spec, port };
  }

  private expect(instance: string): Instance {
    const running = this.instances.get(instance);
    if (!running) throw new Error(`${instance} is not running`);
    return running;
  }

  private spawn(spec: ProcessSpec, port: number, file: string, logName: string): ChildProcess {
    const log = openSync(join(this.options.logFolder, `${logName}.log`), 'a');
    try {
      return spawn(process.execPath, [entry(spec, file)], {
        env: this.options.environment(spec, port),
        stdio: ['ignore', log, log],
        // Its own process group: a Ctrl-C reaches only the suite, which then stops each one.
        detached: true,
      });
    } finally {
      closeSync(log);
    }
  }

  /** Polls the instance's readiness on the management port its environment names. */
  private async waitUntilReady(instance: string, running: Instance): Promise<void> {
    const { spec, port } = running;
    const managementPort =
      this.options.environment(spec, port)[spec.managementPortVariable] ??
      spec.defaultManagementPort;
    const url = `http://127.0.0.1:${managementPort}/health/ready`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.instances.get(instance) !== running) {
        throw new Error(`${instance} exited before it was ready (see its log)`);
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    throw new Error(`${instance} was not ready at ${url} within ${READY_TIMEOUT_MS / 1000} s`);
  }
}
