import { setTimeout as sleep } from 'node:timers/promises';
import { check } from './chaos-checker';
import { PlatformProbe } from './chaos-probe';
import { ScenarioResult, scenarioResult } from './chaos-report';
import { COLD_START, Scenario, ScenarioContext } from './chaos-scenarios';
import { selfTest } from './chaos-self-test';
import type { InjectedPoison } from './chaos-snapshot-types';
import { ChaosWorkload } from './chaos-workload';
import { ProcessSpec, SUBGRAPH_PROCESSES, GATEWAY_PROCESS } from './processes';

/**
 * Runs the scenarios against one stack: the workload running, the fault injected, held and
 * healed, the workload stopped, the platform left to become quiet (bounded), then the check.
 */

/** The workload runs this long before a fault, and this long after it healed. */
const WARM_UP_MS = 3_000;
const COOL_DOWN_MS = 5_000;
/** In a cold start, the consumers start this long after the producers took traffic. */
const CONSUMERS_LATE_MS = 10_000;
/** Longest wait for the platform to finish its backlog (retries, and emails whose sender died). */
const DRAIN_TIMEOUT_MS = 180_000;
const QUIET_POLL_MS = 1_000;
const CONNECTION_SAMPLE_MS = 500;
/** Producers a cold start begins with; every other service starts late. */
const PRODUCERS_FIRST = ['user', 'ticket'];

export interface ChaosRunnerOptions {
  context: ScenarioContext;
  probe: PlatformProbe;
  workload: ChaosWorkload;
  /** The port of every process of the stack. */
  ports: ReadonlyMap<string, number>;
  requestBoundMs: number;
}

export class ChaosRunner {
  private notes: string[] = [];
  private readonly poison: InjectedPoison[] = [];
  private readonly context: ScenarioContext;

  constructor(private readonly options: ChaosRunnerOptions) {
    this.context = options.context;
    this.context.supervisor.onUnexpectedExit((instance, reason) =>
      this.unexpectedExit(instance, reason),
    );
  }

  /** Starts every subgraph, then the gateway, then sets the workload up and lets it settle. */
  async startStack(): Promise<void> {
    await Promise.all(SUBGRAPH_PROCESSES.map((spec) => this.start(spec)));
    await this.start(GATEWAY_PROCESS);
    await this.options.workload.setUp();
    await this.options.workload.openCalendar();
    if ((await this.drain()) === null) {
      throw new Error(
        `the platform did not become quiet after the set-up: ${this.notes.join('; ')}`,
      );
    }
  }

  /**
   * A fresh stack whose producers take traffic before the consumers exist: user (with its
   * first admin) and ticket first, then, while the workload runs, every other service.
   */
  async coldStart(): Promise<ScenarioResult> {
    const { workload } = this.options;
    const first = SUBGRAPH_PROCESSES.filter((s) => PRODUCERS_FIRST.includes(s.name));
    const late = SUBGRAPH_PROCESSES.filter((s) => !PRODUCERS_FIRST.includes(s.name));
    this.context.say(`cold start: ${first.map((s) => s.name).join(', ')} and the gateway first`);
    await Promise.all(first.map((spec) => this.start(spec)));
    await this.start(GATEWAY_PROCESS);
    await workload.setUp();
    return this.observe(COLD_START.name, 0, async () => {
      await this.pause(CONSUMERS_LATE_MS);
      this.context.say(`cold start: now ${late.map((s) => s.name).join(', ')}`);
      await Promise.all(late.map((spec) => this.start(spec)));
      await workload.openCalendar();
    });
  }

  /** The checker tried on the platform as it is: it must see a forged loss and duplicate. */
  async checkTheChecker(): Promise<ScenarioResult> {
    const failures = selfTest(await this.options.probe.snapshot());
    return {
      ...scenarioResult(
        'checker-self-test',
        { violations: [], sameIdResends: 0, acked: 0, errored: 0, maxLatencyMs: 0 },
        { drainMs: 0, peakConnections: await this.options.probe.connections(), notes: failures },
      ),
      passed: failures.length === 0,
    };
  }

  run(scenario: Scenario): Promise<ScenarioResult> {
    return this.observe(scenario.name, Date.now(), async () => {
      const poison = await scenario.inject(this.context);
      if (poison) this.poison.push(...poison);
      await scenario.heal?.(this.context);
      return poison ?? [];
    });
  }

  /** A process stopped on its own: noted on the scenario and started again, as an orchestrator would. */
  private unexpectedExit(instance: string, reason: string): void {
    const spec = [...SUBGRAPH_PROCESSES, GATEWAY_PROCESS].find((s) => s.name === instance);
    if (!spec || this.context.signal.aborted) {
      this.notes.push(`${instance} exited unexpectedly (${reason})`);
      return;
    }
    this.notes.push(`${instance} exited unexpectedly (${reason}); restarted`);
    this.start(spec).catch((error: Error) =>
      this.notes.push(`${instance} could not be restarted: ${error.message}`),
    );
  }

  /** Workload on, `fault` (injected, held, healed), workload a little longer, off, drain, check. */
  private async observe(
    name: string,
    since: number,
    fault: () => Promise<InjectedPoison[] | void>,
  ): Promise<ScenarioResult> {
    const { workload, probe, requestBoundMs } = this.options;
    this.context.say(`scenario ${name}`);
    this.notes = [];
    const firstOperation = workload.operations.length;
    const sampler = this.sampleConnections();
    let injected: InjectedPoison[] = [];
    try {
      workload.start();
      await this.pause(WARM_UP_MS);
      injected = (await fault()) ?? [];
      await this.pause(COOL_DOWN_MS);
    } finally {
      await workload.stop();
    }
    const drainMs = await this.drain();
    const peakConnections = await sampler.stop();
    const result = check(await probe.snapshot(), {
      since,
      operations: workload.operations.slice(firstOperation),
      poison: this.poison,
      injected,
      requestBoundMs,
    });
    return scenarioResult(name, result, { drainMs, peakConnections, notes: this.notes });
  }

  /**
   * Waits until nothing is pending anywhere (seen twice in a row); its duration, or null, with
   * what was still pending noted on the scenario.
   */
  private async drain(): Promise<number | null> {
    const start = Date.now();
    let quietOnce = false;
    let last = 'nothing read yet';
    while (Date.now() - start < DRAIN_TIMEOUT_MS) {
      try {
        const { pendingEvents, busyQueues, dueEmails } = await this.options.probe.backlog();
        const quiet = pendingEvents === 0 && busyQueues.length === 0 && dueEmails === 0;
        if (quiet && quietOnce) return Date.now() - start;
        quietOnce = quiet;
        last =
          `${pendingEvents} outbox rows pending, ${dueEmails} emails due, ` +
          `busy queues: ${busyQueues.join(', ') || 'none'}`;
      } catch (error) {
        // The broker or the database is still coming back: not quiet yet.
        quietOnce = false;
        last = `could not read the backlog: ${(error as Error).message}`;
      }
      await this.pause(QUIET_POLL_MS);
    }
    this.notes.push(`not quiet after ${DRAIN_TIMEOUT_MS / 1000} s (${last}): checked as it stood`);
    return null;
  }

  /** Samples the stack's PostgreSQL connections until stopped; resolves with the peak. */
  private sampleConnections(): { stop(): Promise<number> } {
    let peak = 0;
    let sampling = true;
    const loop = (async () => {
      while (sampling) {
        peak = Math.max(peak, await this.options.probe.connections().catch(() => 0));
        await sleep(CONNECTION_SAMPLE_MS);
      }
    })();
    return {
      async stop() {
        sampling = false;
        await loop;
        return peak;
      },
    };
  }

  private start(spec: ProcessSpec): Promise<void> {
    return this.context.supervisor.start(spec, this.options.ports.get(spec.name)!);
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.context.signal });
  }
}
