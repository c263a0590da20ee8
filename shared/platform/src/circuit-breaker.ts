// Circuit breakers (opossum) around the calls a process makes and waits on: one per dependency,
// so a dependency that keeps failing is answered for at once instead of waited on in full,
// and probed again by itself. Their state and transitions are Prometheus metrics.
import CircuitBreaker from 'opossum';
import { Counter, Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from './logger';
import { singleMetric } from './metrics';

/** The environment variables every process with breakers reads (documented in `.env.example`). */
export const circuitBreakerShape = {
  /** Failed calls, in percent of the calls within the window, above which a breaker opens. */
  CIRCUIT_BREAKER_ERROR_PERCENTAGE: z.coerce.number().min(1).max(100).default(50),
  /** Calls within the window before a breaker may open: a few failures of a quiet dependency open nothing. */
  CIRCUIT_BREAKER_VOLUME_THRESHOLD: z.coerce.number().int().min(1).default(10),
  /** How long an open breaker answers at once before letting one probing call through. */
  CIRCUIT_BREAKER_RESET_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** The rolling window the error percentage and the volume are counted over. */
  CIRCUIT_BREAKER_WINDOW_MS: z.coerce.number().int().min(10).default(10_000),
};

export type CircuitBreakerConfig = {
  [K in keyof typeof circuitBreakerShape]: z.infer<(typeof circuitBreakerShape)[K]>;
};

export type BreakerState = 'closed' | 'half_open' | 'open';

/** The gauge's values: ordered, so that `max` over a process's breakers is its worst one. */
const STATE_VALUES: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** The code opossum gives the error it answers with while open. */
const OPEN_BREAKER_CODE = 'EOPENBREAKER';

/** Answered, without calling it, for a dependency whose breaker is open. */
export class CircuitOpenError extends Error {
  readonly code = OPEN_BREAKER_CODE;

  constructor(readonly dependency: string) {
    super(`the circuit breaker of ${dependency} is open: not called`);
    this.name = 'CircuitOpenError';
  }
}

interface CircuitBreakerMetrics {
  state: Gauge<'dependency'>;
  transitions: Counter<'dependency' | 'to'>;
  rejected: Counter<'dependency'>;
}

function circuitBreakerMetrics(registry: Registry): CircuitBreakerMetrics {
  return {
    state: singleMetric(
      registry,
      'circuit_breaker_state',
      () =>
        new Gauge({
          name: 'circuit_breaker_state',
          help: 'State of the circuit breaker of each dependency: 0 closed, 1 half-open, 2 open',
          labelNames: ['dependency'],
          registers: [registry],
        }),
    ),
    transitions: singleMetric(
      registry,
      'circuit_breaker_transitions_total',
      () =>
        new Counter({
          name: 'circuit_breaker_transitions_total',
          help: 'Circuit breaker state changes, by dependency and the state changed to',
          labelNames: ['dependency', 'to'],
          registers: [registry],
        }),
    ),
    rejected: singleMetric(
      registry,
      'circuit_breaker_rejected_calls_total',
      () =>
        new Counter({
          name: 'circuit_breaker_rejected_calls_total',
          help: 'Calls answered at once by an open circuit breaker, without calling the dependency',
          labelNames: ['dependency'],
          registers: [registry],
        }),
    ),
  };
}

export interface DependencyBreakerOptions {
  /**
   * Whether an error is the dependency failing (unreachable, timed out, 5xx). Anything else,
   * such as a client's bad input refused by it, shows the dependency working and never
   * opens its breaker. By default every error counts.
   */
  isFailure?: (error: unknown) => boolean;
}

type Action = () => Promise<unknown>;

/** The breaker of one dependency. */
export class DependencyBreaker {
  private readonly breaker: CircuitBreaker<[Action], unknown>;

  constructor(
    readonly dependency: string,
    config: CircuitBreakerConfig,
    private readonly metrics: CircuitBreakerMetrics,
    logger: Logger,
    options: DependencyBreakerOptions = {},
  ) {
    const isFailure = options.isFailure ?? (() => true);
    this.breaker = new CircuitBreaker((action: Action) => action(), {
      // Each call bounds itself (its own deadline aborts it); a timer here would only race it.
      timeout: false,
      errorThresholdPercentage: config.CIRCUIT_BREAKER_ERROR_PERCENTAGE,
      volumeThreshold: config.CIRCUIT_BREAKER_VOLUME_THRESHOLD,
      resetTimeout: config.CIRCUIT_BREAKER_RESET_TIMEOUT_MS,
      rollingCountTimeout: config.CIRCUIT_BREAKER_WINDOW_MS,
      // Percentiles and snapshots are opossum's own statistics; Prometheus has ours.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: (error: unknown) => !isFailure(error),
    });
    const enter = (state: BreakerState) => {
      metrics.state.set({ dependency }, STATE_VALUES[state]);
      metrics.transitions.inc({ dependency, to: state });
    };
    metrics.state.set({ dependency }, STATE_VALUES.closed);
    this.breaker.on('open', () => {
      enter('open');
      logger.warn(
        { dependency, resetTimeoutMs: config.CIRCUIT_BREAKER_RESET_TIMEOUT_MS },
        `circuit breaker of ${dependency} opened: calls are answered at once until a probe succeeds`,
      );
    });
    this.breaker.on('halfOpen', () => enter('half_open'));
    this.breaker.on('close', () => {
      enter('closed');
      logger.info(
        { dependency },
        `circuit breaker of ${dependency} closed: calls go through again`,
      );
    });
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  /** Runs `action` through the breaker; rejects with CircuitOpenError, without running it, while open. */
  async call<T>(action: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(action)) as T;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === OPEN_BREAKER_CODE) {
        this.metrics.rejected.inc({ dependency: this.dependency });
        throw new CircuitOpenError(this.dependency);
      }
      throw error;
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}

/** The breakers of one process, one per dependency, sharing its settings and metrics registry. */
export class CircuitBreakers {
  private readonly byDependency = new Map<string, DependencyBreaker>();
  private readonly metrics: CircuitBreakerMetrics;

  constructor(
    private readonly config: CircuitBreakerConfig,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.metrics = circuitBreakerMetrics(registry);
  }

  /** The breaker of `dependency`, created by the first call with the options given then. */
  for(dependency: string, options?: DependencyBreakerOptions): DependencyBreaker {
    let breaker = this.byDependency.get(dependency);
    if (!breaker) {
      breaker = new DependencyBreaker(dependency, this.config, this.metrics, this.logger, options);
      this.byDependency.set(dependency, breaker);
    }
    return breaker;
  }

  shutdown(): void {
    for (const breaker of this.byDependency.values()) breaker.shutdown();
  }
}
