import { spawn } from 'node:child_process';
import { AddressInfo, Server, createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ProcessOutput, ProcessSpec, REPOSITORY_ROOT, fatalMessageOf } from '../../src/processes';

/**
 * The platform's processes run from their TypeScript sources, as `npm start` runs their build,
 * for tests of how they start and stop; and ports to start them on.
 */

const REGISTER = join(__dirname, 'register-typescript.js');

/** Node's arguments to run `file` (`main.js`, `migrate.js`) of `spec` from its sources. */
export function sourceCommand(spec: ProcessSpec, file: string): string[] {
  return ['-r', REGISTER, join(REPOSITORY_ROOT, spec.dir, 'src', file.replace(/\.js$/, '.ts'))];
}

export interface ProcessOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From spawn to exit. */
  elapsedMs: number;
}

export interface SourceProcess {
  /** Every line it printed so far, stdout and stderr. */
  readonly lines: string[];
  /** The messages of its fatal log lines. */
  fatalMessages(): string[];
  /** Resolves once the process prints a line `matches` accepts. */
  printed(matches: (line: string) => boolean): Promise<string>;
  /** Its exit, or `undefined` if it still runs after `timeoutMs` (it is then killed). */
  exitWithin(timeoutMs: number): Promise<ProcessOutcome | undefined>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `main.ts` of `spec` with `env` on top of this process's environment. */
export function startFromSource(spec: ProcessSpec, env: Record<string, string>): SourceProcess {
  const startedAt = Date.now();
  const child = spawn(process.execPath, sourceCommand(spec, 'main.js'), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      watchers.forEach((watch) => watch());
    });
  }
  const exited = new Promise<ProcessOutcome>((resolve) =>
    child.once('exit', (code, signal) =>
      resolve({ code, signal, elapsedMs: Date.now() - startedAt }),
    ),
  );

  return {
    lines,
    fatalMessages: () => lines.flatMap((line) => fatalMessageOf(line) ?? []),
    printed(matches) {
      return new Promise((resolve, reject) => {
        const watch = () => {
          const line = lines.find(matches);
          if (line !== undefined) {
            watchers.delete(watch);
            resolve(line);
          }
        };
        watchers.add(watch);
        watch();
        void exited.then(() => {
          if (watchers.delete(watch))
            reject(new Error(`${spec.name} exited first:\n${lines.join('\n')}`));
        });
      });
    },
    async exitWithin(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      const outcome = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (outcome === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
      return outcome;
    },
    kill: (signal) => child.kill(signal),
  };
}

/** A port something else listens on, as when another program holds a service's port. */
export async function occupiedPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    release: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Output nobody reads, for processes whose logs a test does not look at. */
export function discardedOutput(): ProcessOutput {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  return { stdout: discard, stderr: discard };
}
