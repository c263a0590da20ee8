import { randomUUID } from 'node:crypto';
import { Actor, GatewayClient } from './bench-client';
import {
  GatewayActors,
  GatewayPhase,
  GatewayRound,
  GatewayUnderTest,
  directUserClient,
  measureRound,
  rssMibOf,
  startStockGateway,
} from './bench-gateway';

/** The gateway benchmark's run: actors, alternating rounds, and the table of medians. */

const AUTH = 'accessToken user { id }';
const REGISTER = `mutation R($input: RegisterInput!) { register(input: $input) { ${AUTH} } }`;
const LOGIN = `mutation L($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH} } }`;
const MAKE_AGENT = 'mutation A($id: ID!) { setUserRole(userId: $id, role: AGENT) { id } }';
const CREATE = 'mutation C($input: CreateTicketInput!) { createTicket(input: $input) { id } }';
const ASSIGN = 'mutation S($t: ID!, $a: ID!) { assignTicket(ticketId: $t, assigneeId: $a) { id } }';
const COMMENT = 'mutation M($t: ID!, $b: String!) { addComment(ticketId: $t, body: $b) { id } }';
const PHASES: GatewayPhase[] = ['light', 'heavy', 'createTicket'];

interface Auth {
  accessToken: string;
  user: { id: string };
}

export interface GatewayRunOptions {
  api: GatewayClient;
  stockUrl: string;
  userSubgraphUrl: string;
  env: NodeJS.ProcessEnv;
  stockPort: number;
  projectPid: number;
  userPid: number;
  secret: string;
  admin: { email: string; password: string };
  clients: number;
  rounds: number;
  durationMs: number;
  signal: AbortSignal;
  output: NodeJS.WritableStream;
  say(line: string): void;
}

async function signIn(api: GatewayClient, email: string, password: string): Promise<Actor> {
  const { login } = await api.call<{ login: Auth }>(LOGIN, { email, password });
  return { id: login.user.id, email, password, token: login.accessToken };
}

async function register(api: GatewayClient, role: string): Promise<Actor> {
  const email = `gateway-bench-${role}-${randomUUID().slice(0, 8)}@example.com`;
  const password = `Bench-pw-${randomUUID()}`;
  const input = { email, password, name: `Bench ${role}`, timeZone: 'Europe/Paris' };
  const { register: auth } = await api.call<{ register: Auth }>(REGISTER, { input });
  return { id: auth.user.id, email, password, token: auth.accessToken };
}

/** Customers, and an agent assigned a page of commented tickets for the heavy read. */
async function setUp(api: GatewayClient, options: GatewayRunOptions): Promise<GatewayActors> {
  const admin = await signIn(api, options.admin.email, options.admin.password);
  const customers: Actor[] = [];
  for (let n = 0; n < options.clients; n += 1) customers.push(await register(api, 'customer'));
  const registered = await register(api, 'agent');
  await api.call(MAKE_AGENT, { id: registered.id }, admin.token);
  const agent = await signIn(api, registered.email, registered.password);
  for (let n = 0; n < 20; n += 1) {
    const input = { title: `Seed ${n}`, description: 'Seeded.', priority: 'NORMAL', tags: [] };
    const { createTicket } = await api.call<{ createTicket: { id: string } }>(
      CREATE,
      { input },
      customers[n % customers.length].token,
    );
    await api.call(ASSIGN, { t: createTicket.id, a: agent.id }, admin.token);
    await api.call(COMMENT, { t: createTicket.id, b: 'On it.' }, agent.token);
  }
  return { customers, agent };
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Runs every round and returns the table a person reads. */
export async function runGatewayBenchmark(options: GatewayRunOptions): Promise<string> {
  const { api, signal, say } = options;
  // Read as the stock gateway's is: ready, having answered one `{ __typename }`, nothing more.
  await api.call('{ __typename }');
  const projectRssAtReady = rssMibOf(options.projectPid);
  say('gateway benchmark: setting up customers, an agent and a page of tickets');
  const actors = await setUp(api, options);
  const stockProcess = await startStockGateway(options.env, options.stockPort, options.output);
  try {
    const project: GatewayUnderTest = {
      name: 'project',
      client: api,
      pid: options.projectPid,
      rssAtReadyMib: projectRssAtReady,
    };
    const stock: GatewayUnderTest = {
      name: 'stock',
      client: new GatewayClient(options.stockUrl, signal),
      pid: stockProcess.pid!,
      rssAtReadyMib: rssMibOf(stockProcess.pid!),
    };
    const userPid = options.userPid;
    const direct: GatewayUnderTest = {
      name: 'user subgraph',
      client: await directUserClient(
        options.userSubgraphUrl,
        options.secret,
        actors.customers[0],
        signal,
      ),
      pid: userPid,
      rssAtReadyMib: 0,
    };
    const rounds: GatewayRound[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const order = round % 2 === 0 ? [project, stock] : [stock, project];
      for (const phase of PHASES) {
        for (const target of order) {
          const figures = await measureRound(target, phase, actors, options.durationMs, signal);
          say(`round ${round + 1} ${target.name} ${phase}: ${figures.perSecond.toFixed(0)}/s`);
          rounds.push(figures);
        }
      }
      rounds.push(await measureRound(direct, 'direct', actors, options.durationMs, signal));
    }
    return renderGatewayTable(rounds, {
      project: [project.rssAtReadyMib, rssMibOf(project.pid)],
      stock: [stock.rssAtReadyMib, rssMibOf(stock.pid)],
    });
  } finally {
    stockProcess.kill('SIGTERM');
  }
}

/** Each gateway's resident memory in MiB: at ready, and after every round. */
interface GatewayRss {
  project: [atReady: number, afterRounds: number];
  stock: [atReady: number, afterRounds: number];
}

function renderGatewayTable(rounds: GatewayRound[], rss: GatewayRss): string {
  const pick = (
    target: string,
    phase: string,
    field: 'perSecond' | 'p50' | 'p99' | 'cpuMsPerRequest',
  ) =>
    median(
      rounds
        .filter((r) => r.target === target && r.phase === phase)
        .map((r) => r[field] ?? Number.NaN),
    );
  const lines = ['phase         target         req/s    p50 ms   p99 ms   CPU ms/req'];
  for (const phase of [...PHASES, 'direct']) {
    for (const target of phase === 'direct' ? ['user subgraph'] : ['project', 'stock']) {
      lines.push(
        `${phase.padEnd(14)}${target.padEnd(15)}${pick(target, phase, 'perSecond').toFixed(0).padStart(6)}` +
          `${pick(target, phase, 'p50').toFixed(2).padStart(9)}${pick(target, phase, 'p99').toFixed(2).padStart(9)}` +
          `${(phase === 'direct' ? Number.NaN : pick(target, phase, 'cpuMsPerRequest')).toFixed(2).padStart(13)}`,
      );
    }
  }
  lines.push('', 'project ÷ stock (medians of the rounds):');
  for (const phase of PHASES) {
    lines.push(
      `  ${phase}: ${(pick('project', phase, 'perSecond') / pick('stock', phase, 'perSecond')).toFixed(2)}× req/s, ` +
        `${(pick('project', phase, 'cpuMsPerRequest') / pick('stock', phase, 'cpuMsPerRequest')).toFixed(2)}× CPU per request`,
    );
  }
  lines.push(
    `  light read p50 through the project gateway ÷ direct: ${(pick('project', 'light', 'p50') / pick('user subgraph', 'direct', 'p50')).toFixed(2)}×`,
    `  RSS at ready: project ${rss.project[0].toFixed(0)} MiB, stock ${rss.stock[0].toFixed(0)} MiB`,
    `  RSS after the rounds: project ${rss.project[1].toFixed(0)} MiB, stock ${rss.stock[1].toFixed(0)} MiB`,
    `  errors: ${rounds.reduce((sum, r) => sum + r.errors, 0)}${rounds.find((r) => r.firstError)?.firstError ? ` (first: ${rounds.find((r) => r.firstError)?.firstError})` : ''}`,
  );
  return lines.join('\n');
}
