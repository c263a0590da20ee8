import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** A process `npm start` runs. */
export interface ProcessSpec {
  name: string;
  /** Folder of the workspace, relative to the repository root. */
  dir: string;
  portVariable: string;
  defaultPort: number;
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
  }));
}

/** Every subgraph, in start order; each owns a schema and so has migrations to run first. */
export const SUBGRAPH_PROCESSES: readonly ProcessSpec[] = subgraphProcesses();

export const GATEWAY_PROCESS: ProcessSpec = {
  name: 'gateway',
  dir: 'gateway',
  portVariable: 'GATEWAY_PORT',
  defaultPort: 8080,
};

export const ALL_PROCESSES: readonly ProcessSpec[] = [...SUBGRAPH_PROCESSES, GATEWAY_PROCESS];
