import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClient, GraphQLCallError } from './bench-client';
import { Answer, OperationsOptions, WorkloadOperations } from './chaos-operations';
import type { OperationKind, OperationRecord } from './chaos-snapshot-types';

/**
 * The steady, bounded workload the fault-injection suite runs through the gateway while it
 * injects faults: the operations of chaos-operations.ts, a few per second from a couple of
 * clients, each recorded as the client saw it, for the checker to match its effects.
 */

const CLIENTS = 2;
/** Each client pauses between operations: a few operations per second in all. */
const PAUSE_MS = 300;
/** How often each kind is picked, when it can run at all. */
const WEIGHTS: Record<OperationKind, number> = {
  register: 1,
  createTicket: 3,
  addComment: 3,
  assignTicket: 2,
  bookAppointment: 2,
};

export interface WorkloadOptions extends OperationsOptions {
  /** A request not answered within this bound is abandoned and counted as unanswered. */
  requestBoundMs: number;
}

/** The error code an operation is recorded with. */
function codeOf(error: unknown): string {
  if (error instanceof GraphQLCallError) return error.code ?? 'HTTP';
  if ((error as Error | null)?.name === 'TimeoutError') return 'TIMEOUT';
  return 'NETWORK';
}

export class ChaosWorkload {
  /** Every operation sent so far, in the order they finished. */
  readonly operations: OperationRecord[] = [];
  private readonly actions: WorkloadOperations;
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly options: WorkloadOptions) {
    this.actions = new WorkloadOperations(options, (kind, text, call) =>
      this.record(kind, text, call),
    );
  }

  /** Signs the admin in, makes an agent and two customers, once the services accept them. */
  setUp(): Promise<void> {
    return this.actions.setUp();
  }

  /** Opens the agent's calendar around the clock, once the appointment service knows them. */
  openCalendar(): Promise<void> {
    return this.actions.openCalendar();
  }

  start(): void {
    if (this.running) throw new Error('the workload is already running');
    this.stopping = false;
    this.running = Promise.all(Array.from({ length: CLIENTS }, () => this.client())).then(
      () => undefined,
    );
    // Awaited by stop(); until then an abort of the run must not surface as unhandled.
    this.running.catch(() => undefined);
  }

  /** Lets the operations in flight finish (each is bounded), then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    this.running = null;
  }

  private async client(): Promise<void> {
    while (!this.stopping) {
      this.options.signal.throwIfAborted();
      await this.next();
      await sleep(PAUSE_MS, undefined, { signal: this.options.signal });
    }
  }

  /** One operation of a kind that can run now, picked by weight. */
  private next(): Promise<void> {
    const runnable = this.actions.runnable();
    const total = runnable.reduce((sum, [kind]) => sum + WEIGHTS[kind], 0);
    let pick = Math.random() * total;
    for (const [kind, operation] of runnable) {
      pick -= WEIGHTS[kind];
      if (pick < 0) return operation();
    }
    return runnable[0][1]();
  }

  /** Runs one operation against a client bounded by the request bound, and records it. */
  private async record(
    kind: OperationKind,
    text: string,
    operation: (api: GatewayClient) => Promise<Answer>,
  ): Promise<void> {
    const { signal, requestBoundMs, gatewayUrl } = this.options;
    const api = new GatewayClient(
      gatewayUrl,
      AbortSignal.any([signal, AbortSignal.timeout(requestBoundMs)]),
    );
    const startedAt = Date.now();
    const began = performance.now();
    try {
      const answer = await operation(api);
      this.operations.push({
        kind,
        text,
        startedAt,
        latencyMs: performance.now() - began,
        outcome: 'acked',
        code: null,
        ...answer,
      });
    } catch (error) {
      signal.throwIfAborted();
      this.operations.push({
        kind,
        text,
        startedAt,
        latencyMs: performance.now() - began,
        outcome: 'errored',
        code: codeOf(error),
        id: null,
      });
    }
  }
}
