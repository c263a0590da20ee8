import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { childEnvironment, loadToolsConfig, portFromEnvironment } from './config';
import { ensureBroker, ensureDatabase } from './infrastructure-check';
import { GATEWAY_PROCESS, ProcessSpec, SUBGRAPH_PROCESSES } from './processes';

/**
 * `npm start`: checks PostgreSQL and RabbitMQ, runs every service's migrations, starts
 * the subgraphs, waits until each is ready, then starts the gateway and prints its URL.
 * Ctrl-C (or SIGTERM) stops everything gracefully.
 */
const root = resolve(__dirname, '..', '..', '..');
const READY_TIMEOUT_MS = 60_000;
const children = new Map<string, ChildProcess>();
let stopping = false;

function say(line: string): void {
  process.stdout.write(`[servicedesk] ${line}\n`);
}

function entry(spec: ProcessSpec, file: string): string {
  return join(root, spec.dir, 'dist', file);
}

function runToCompletion(spec: ProcessSpec, file: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [entry(spec, file)], { env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${spec.name}: ${file} exited with code ${code}`)),
    );
  });
}

function startProcess(spec: ProcessSpec, env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [entry(spec, 'main.js')], { env, stdio: 'inherit' });
  children.set(spec.name, child);
  child.on('exit', (code, signal) => {
    children.delete(spec.name);
    if (!stopping) {
      say(
        `${spec.name} stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping the rest`,
      );
      void stopAll(1);
    }
  });
}

async function waitUntilReady(spec: ProcessSpec, port: number): Promise<void> {
  const url = `http://127.0.0.1:${port}/health/ready`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!children.has(spec.name)) throw new Error(`${spec.name} exited before it was ready`);
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

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const exits = [...children.values()].map(
    (child) =>
      new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r()))),
  );
  for (const child of children.values()) child.kill('SIGTERM');
  await Promise.all(exits);
  process.exit(exitCode);
}

async function main(): Promise<void> {
  const config = loadToolsConfig();
  await ensureDatabase(config.DATABASE_URL);
  await ensureBroker(config.RABBITMQ_URL);

  const ports = new Map(
    [...SUBGRAPH_PROCESSES, GATEWAY_PROCESS].map((spec) => [
      spec.name,
      portFromEnvironment(spec.portVariable, spec.defaultPort),
    ]),
  );
  const env = childEnvironment({
    ...Object.fromEntries(
      [...SUBGRAPH_PROCESSES, GATEWAY_PROCESS].map((s) => [
        s.portVariable,
        String(ports.get(s.name)),
      ]),
    ),
    ...Object.fromEntries(
      SUBGRAPH_PROCESSES.map((s) => [
        `${s.name.toUpperCase()}_SUBGRAPH_URL`,
        `http://127.0.0.1:${ports.get(s.name)}/graphql`,
      ]),
    ),
    JWKS_URL: `http://127.0.0.1:${ports.get('user')}/.well-known/jwks.json`,
  });

  for (const spec of SUBGRAPH_PROCESSES.filter((s) => s.migrates)) {
    say(`migrating ${spec.name}`);
    await runToCompletion(spec, 'migrate.js', env);
  }
  for (const spec of SUBGRAPH_PROCESSES) startProcess(spec, env);
  await Promise.all(SUBGRAPH_PROCESSES.map((spec) => waitUntilReady(spec, ports.get(spec.name)!)));
  startProcess(GATEWAY_PROCESS, env);
  await waitUntilReady(GATEWAY_PROCESS, ports.get('gateway')!);
  say(`ready: GraphQL API at http://localhost:${ports.get('gateway')}/graphql (Ctrl-C to stop)`);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
main().catch((error: Error) => {
  say(`could not start: ${error.message}`);
  void stopAll(1);
});
