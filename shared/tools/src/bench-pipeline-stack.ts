import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUBSCRIPTIONS, consumingServiceOf } from '@servicedesk/contracts';
import { declareBrokerTopology } from './broker-topology';
import { ChaosSupervisor } from './chaos-supervisor';
import { ALL_PROCESSES, GATEWAY_PROCESS, ProcessSpec, SUBGRAPH_PROCESSES } from './processes';
import { ToolRun } from './tool-run';

/**
 * The platform as the pipeline benchmark runs it: every process from the build, each of which
 * can be stopped and started again on its own (the drain measurements stop the consumers, or
 * the relay's service, while a backlog is made). One log file per process, kept when the run
 * fails.
 */

export interface PipelineStackOptions {
  /** Every process's environment (ports, database, vhost, SMTP, secrets). */
  env: NodeJS.ProcessEnv;
  ports: ReadonlyMap<string, number>;
  run: ToolRun;
  say(line: string): void;
}

/** The services with a work queue bound to `eventType`, by the subscription registry. */
export function consumersOf(eventType: string): string[] {
  const services = Object.entries(SUBSCRIPTIONS)
    .filter(([, events]) => (events as readonly string[]).includes(eventType))
    .map(([queue]) => consumingServiceOf(queue));
  return [...new Set(services)].sort();
}

export class PipelineStack {
  private readonly supervisor: ChaosSupervisor;
  private readonly logFolder: string;
  private succeeded = false;

  constructor(private readonly options: PipelineStackOptions) {
    const { run, say } = options;
    this.logFolder = mkdtempSync(join(tmpdir(), 'servicedesk-bench-'));
    this.supervisor = new ChaosSupervisor({
      logFolder: this.logFolder,
      environment: () => options.env,
    });
    this.supervisor.onUnexpectedExit((instance, reason) =>
      run.fail(new Error(`${instance} stopped unexpectedly (${reason}); see ${this.logFolder}`)),
    );
    run.cleanups.push({
      what: `remove the logs in ${this.logFolder}`,
      run: async () => {
        if (this.succeeded) rmSync(this.logFolder, { recursive: true, force: true });
        else say(`the processes' logs are kept in ${this.logFolder}`);
      },
    });
    // Pushed after the logs' cleanup, so it runs first.
    run.cleanups.push({ what: 'stop the services', run: () => this.supervisor.stopAll() });
    process.once('exit', () => this.supervisor.killRemaining());
  }

  /** Migrations, the broker's topology, the subgraphs, then the gateway. */
  async start(): Promise<void> {
    for (const spec of SUBGRAPH_PROCESSES) {
      this.options.say(`migrating ${spec.name}`);
      await this.supervisor.migrate(spec, this.port(spec));
    }
    await declareBrokerTopology(this.options.env, this.options.say);
    await Promise.all(
      SUBGRAPH_PROCESSES.map((spec) => this.supervisor.start(spec, this.port(spec))),
    );
    await this.supervisor.start(GATEWAY_PROCESS, this.port(GATEWAY_PROCESS));
  }

  /** Stops the named processes (SIGTERM: they finish what they hold, as in a deployment). */
  async stop(names: readonly string[]): Promise<void> {
    this.options.say(`stopping ${names.join(', ')}`);
    await Promise.all(names.map((name) => this.supervisor.stop(name)));
  }

  /** Starts the named processes and waits until each reports ready. */
  async resume(names: readonly string[]): Promise<void> {
    this.options.say(`starting ${names.join(', ')}`);
    await Promise.all(
      names.map((name) => this.supervisor.start(this.spec(name), this.portOf(name))),
    );
  }

  /** The run went through: its logs are not worth keeping. */
  markSucceeded(): void {
    this.succeeded = true;
  }

  private spec(name: string): ProcessSpec {
    const spec = ALL_PROCESSES.find((candidate) => candidate.name === name);
    if (!spec) throw new Error(`no process is called ${name}`);
    return spec;
  }

  private port(spec: ProcessSpec): number {
    return this.portOf(spec.name);
  }

  private portOf(name: string): number {
    const port = this.options.ports.get(name);
    if (port === undefined) throw new Error(`no port for ${name}`);
    return port;
  }
}
