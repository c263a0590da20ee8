import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';

/** The processes `npm start` runs, and how to read what they say when they stop. */

/** A process `npm start` runs. */
export interface ProcessSpec {
  name: string;
  /** Folder of the workspace, relative to the repository root. */
  dir: string;
  portVariable: string;
  defaultPort: number;
  /** Where its `/health/*` and `/metrics` listen, apart from the public port. */
  managementPortVariable: string;
  defaultManagementPort: number;
}

/** The management ports the architecture fixes, each process's default. */
const DEFAULT_MANAGEMENT_PORTS: Readonly<Record<string, number>> = {
  gateway: 9080,
  user: 9001,
  ticket: 9002,
  audit: 9003,
  notification: 9004,
  appointment: 9005,
};

function managementPortOf(
  name: string,
): Pick<ProcessSpec, 'managementPortVariable' | 'defaultManagementPort'> {
  const port = DEFAULT_MANAGEMENT_PORTS[name];
  if (port === undefined) throw new Error(`${name} has no management port in processes.ts`);
  return {
    managementPortVariable: `${name.toUpperCase()}_MANAGEMENT_PORT`,
    defaultManagementPort: port,
  };
}

/** The repository root, from `src/` (tests) and `dist/` (runtime) alike. */
export const REPOSITORY_ROOT = join(__dirname, '..', '..', '..');

/** The gateway's list of subgraphs is the one list of them: the tools derive theirs from it. */
const subgraphListSchema = z.array(z.object({ name: z.string().min(1), url: z.url() }));

function subgraphProcesses(): ProcessSpec[] {
  const file = join(REPOSITORY_ROOT, 'gateway', 'subgraphs.json');
  const subgraphs = subgraphListSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  return subgraphs.map(({ name, url }) => ({
    name,
    dir: join('services', name),
    portVariable: `${name.toUpperCase()}_PORT`,
    defaultPort: Number(new URL(url).port),
    ...managementPortOf(name),
  }));
}

/** Every subgraph, in start order; each owns a schema and so has migrations to run first. */
export const SUBGRAPH_PROCESSES: readonly ProcessSpec[] = subgraphProcesses();

export const GATEWAY_PROCESS: ProcessSpec = {
  name: 'gateway',
  dir: 'gateway',
  portVariable: 'GATEWAY_PORT',
  defaultPort: 8080,
  ...managementPortOf('gateway'),
};

export const ALL_PROCESSES: readonly ProcessSpec[] = [...SUBGRAPH_PROCESSES, GATEWAY_PROCESS];

/** Where the processes' output goes. */
export interface ProcessOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The message of a JSON log line at level fatal — what a process says as it gives up. */
export function fatalMessageOf(line: string): string | undefined {
  if (!line.startsWith('{') || !line.includes('"fatal"')) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
    return entry.level === 'fatal' && typeof entry.msg === 'string' ? entry.msg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Passes a process's output on unchanged, reading it on the way for the last fatal line, so
 * that its supervisor can say why it stopped.
 */
export function watchOutput(
  child: ChildProcess,
  output: ProcessOutput,
): { lastFatal(): string | undefined } {
  let lastFatal: string | undefined;
  const watch = (stream: Readable | null, destination: NodeJS.WritableStream) => {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      destination.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) lastFatal = fatalMessageOf(line) ?? lastFatal;
    });
  };
  watch(child.stdout, output.stdout);
  watch(child.stderr, output.stderr);
  return { lastFatal: () => lastFatal };
}

/** How a process ended, e.g. `exited with code 1 (its last fatal line: "…")`. */
export function describeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  lastFatal: string | undefined,
): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return lastFatal ? `${how} (its last fatal line: "${lastFatal}")` : how;
}
