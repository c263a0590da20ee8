import { setTimeout as tick } from 'node:timers/promises';
import { Registry } from 'prom-client';
import {
  CircuitBreakerConfig,
  CircuitBreakers,
  CircuitOpenError,
  DependencyBreaker,
} from './circuit-breaker';
import { createLogger } from './logger';

const RESET_TIMEOUT_MS = 200;
const CONFIG: CircuitBreakerConfig = {
  CIRCUIT_BREAKER_ERROR_PERCENTAGE: 50,
  CIRCUIT_BREAKER_VOLUME_THRESHOLD: 3,
  CIRCUIT_BREAKER_RESET_TIMEOUT_MS: RESET_TIMEOUT_MS,
  CIRCUIT_BREAKER_WINDOW_MS: 10_000,
};

class ClientMistake extends Error {}

const failing = () => Promise.reject(new Error('connect ECONNREFUSED'));

async function failTimes(breaker: DependencyBreaker, times: number): Promise<void> {
  for (let call = 0; call < times; call += 1) await breaker.call(failing).catch(() => undefined);
}

/** Resolves once the reset timeout has passed and the breaker lets a probe through. */
async function halfOpened(breaker: DependencyBreaker): Promise<void> {
  const deadline = Date.now() + 20 * RESET_TIMEOUT_MS;
  while (breaker.state !== 'half_open') {
    if (Date.now() > deadline) throw new Error(`still ${breaker.state}, not half-open`);
    await tick(10);
  }
}

async function sample(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((value) =>
    Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted),
  )?.value;
}

describe('circuit breakers', () => {
  let registry: Registry;
  let breakers: CircuitBreakers;

  beforeEach(() => {
    registry = new Registry();
    breakers = new CircuitBreakers(CONFIG, registry, createLogger('test', 'silent'));
  });

  afterEach(() => breakers.shutdown());

  it('stays closed below the volume threshold, however many of those calls fail', async () => {
    const breaker = breakers.for('smtp');

    await failTimes(breaker, 2);

    expect(breaker.state).toBe('closed');
  });

  it('opens once failures pass the error percentage, then answers at once without calling', async () => {
    const breaker = breakers.for('smtp');
    await failTimes(breaker, 3);
    let called = false;

    const answer = breaker.call(async () => {
      called = true;
    });

    await expect(answer).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(answer).rejects.toThrow('the circuit breaker of smtp is open: not called');
    expect(called).toBe(false);
    expect(breaker.state).toBe('open');
    expect(await sample(registry, 'circuit_breaker_state', { dependency: 'smtp' })).toBe(2);
    expect(
      await sample(registry, 'circuit_breaker_rejected_calls_total', { dependency: 'smtp' }),
    ).toBe(1);
  });

  it('never counts the errors its dependency is not to blame for', async () => {
    const breaker = breakers.for('user', {
      isFailure: (error) => !(error instanceof ClientMistake),
    });

    for (let call = 0; call < 10; call += 1) {
      await breaker.call(() => Promise.reject(new ClientMistake())).catch(() => undefined);
    }

    expect(breaker.state).toBe('closed');
  });

  it('lets one probe through after the reset timeout and closes when it succeeds', async () => {
    const breaker = breakers.for('jwks');
    await failTimes(breaker, 3);

    await halfOpened(breaker);
    expect(breaker.state).toBe('half_open');
    expect(await sample(registry, 'circuit_breaker_state', { dependency: 'jwks' })).toBe(1);
    await expect(breaker.call(async () => 'answer')).resolves.toBe('answer');

    expect(breaker.state).toBe('closed');
    expect(await sample(registry, 'circuit_breaker_state', { dependency: 'jwks' })).toBe(0);
    for (const to of ['open', 'half_open', 'closed']) {
      expect(
        await sample(registry, 'circuit_breaker_transitions_total', { dependency: 'jwks', to }),
      ).toBe(1);
    }
  });

  it('opens again at once when the probe fails', async () => {
    const breaker = breakers.for('jwks');
    await failTimes(breaker, 3);
    await halfOpened(breaker);

    await failTimes(breaker, 1);

    expect(breaker.state).toBe('open');
  });

  it('reports a breaker as closed from its creation, and keeps one per dependency', async () => {
    const breaker = breakers.for('ticket');

    expect(breakers.for('ticket')).toBe(breaker);
    expect(await sample(registry, 'circuit_breaker_state', { dependency: 'ticket' })).toBe(0);
  });
});
