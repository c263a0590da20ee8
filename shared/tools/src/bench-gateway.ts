import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { signServiceToken } from '@servicedesk/platform/service-credential';
import { Actor, GatewayClient } from './bench-client';
import { cpuMsOf, rssMibOf } from './bench-gateway-process';
import { runLoad } from './bench-load';
import { summarizeLatencies } from './bench-stats';

/**
 * `npm run bench -- --gateway`: the project's gateway beside a stock `@apollo/gateway` on the
 * same supergraph, subgraph processes and service credential, in alternating rounds, on a
 * light read, the heavy federated read and createTicket, plus the light read sent straight
 * to the user subgraph. Each gateway's CPU time is read from /proc between phases.
 */

const LIGHT = 'query BenchMe { me { id email } }';
const HEAVY = `query BenchTickets { tickets(first: 20) { edges { node {
  id title requester { name } assignee { name } comments { author { name } } } } } }`;
const CREATE = `mutation BenchCreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { id } }`;
const WARM_UP_MS = 1000;
const READY_TIMEOUT_MS = 60_000;

export type GatewayPhase = 'light' | 'heavy' | 'createTicket' | 'direct';

export interface GatewayUnderTest {
  name: 'project' | 'stock' | 'user subgraph';
  client: GatewayClient;
  /** The process whose CPU time is charged to the phase. */
  pid: number;
  rssAtReadyMib: number;
}

export interface GatewayRound {
  target: GatewayUnderTest['name'];
  phase: GatewayPhase;
  perSecond: number;
  p50: number | null;
  p99: number | null;
  cpuMsPerRequest: number;
  errors: number;
  firstError: string | null;
}

export interface GatewayActors {
  customers: Actor[];
  agent: Actor;
}

/** Starts the stock gateway on `port` against the stack's subgraphs, resolving once it answers. */
export async function startStockGateway(
  env: NodeJS.ProcessEnv,
  port: number,
  output: NodeJS.WritableStream,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(__dirname, 'stock-gateway.js')], {
    env: { ...env, STOCK_GATEWAY_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(output);
  child.stderr?.pipe(output);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the stock gateway exited (${child.exitCode})`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error('the stock gateway was not ready in time');
}

/** A client of the user subgraph itself, with the credential the gateway would send for `actor`. */
export async function directUserClient(
  url: string,
  secret: string,
  actor: Actor,
  signal: AbortSignal,
): Promise<GatewayClient> {
  const token = await signServiceToken(secret, {
    issuer: 'gateway',
    audience: 'user',
    identity: { userId: actor.id, role: 'CUSTOMER' },
    ttlSeconds: 3600,
  });
  return new GatewayClient(url, signal, { 'x-service-name': 'gateway', 'x-service-token': token });
}

function operationOf(phase: GatewayPhase, client: GatewayClient, actors: GatewayActors) {
  let written = 0;
  switch (phase) {
    case 'light':
      return (n: number) => client.call(LIGHT, {}, actors.customers[n].token);
    case 'direct':
      return () => client.call(LIGHT);
    case 'heavy':
      return () => client.call(HEAVY, {}, actors.agent.token);
    case 'createTicket':
      return (n: number) =>
        client.call(
          CREATE,
          {
            input: {
              title: `Gateway benchmark ${++written}`,
              description: 'The printer on the second floor prints blank pages.',
              priority: 'NORMAL',
              tags: ['bench'],
            },
          },
          actors.customers[n].token,
        );
  }
}

/** One phase against one target: a short warm-up, then `durationMs` of closed-loop load. */
export async function measureRound(
  target: GatewayUnderTest,
  phase: GatewayPhase,
  actors: GatewayActors,
  durationMs: number,
  signal: AbortSignal,
): Promise<GatewayRound> {
  const clients = actors.customers.length;
  const operation = operationOf(phase, target.client, actors);
  const load = (ms: number) =>
    runLoad({
      clients,
      durationMs: ms,
      maxOperations: Number.MAX_SAFE_INTEGER,
      signal,
      operation: async (n) => {
        await operation(n);
      },
    });
  if (phase !== 'createTicket') await load(WARM_UP_MS);
  const cpuBefore = cpuMsOf(target.pid);
  const result = await load(durationMs);
  const cpuMs = cpuMsOf(target.pid) - cpuBefore;
  const latency = summarizeLatencies(result.latenciesMs);
  const ok = result.latenciesMs.length;
  return {
    target: target.name,
    phase,
    perSecond: (ok * 1000) / result.elapsedMs,
    p50: latency.p50,
    p99: latency.p99,
    cpuMsPerRequest: ok > 0 ? cpuMs / ok : 0,
    errors: result.errors,
    firstError: result.firstError,
  };
}

export { rssMibOf };
