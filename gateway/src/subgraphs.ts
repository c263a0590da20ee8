import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The subgraphs behind the gateway live in one data file, `gateway/subgraphs.json`, read
 * both here (URLs, service-token audiences) and by the composition script
 * (`npm run compose`), so adding a subgraph is a one-line change in one place.
 * The path is resolved from this file's folder, which works from `src/` and `dist/` alike.
 */
export const SUBGRAPH_LIST_PATH = join(__dirname, '..', 'subgraphs.json');

/** The checked-in supergraph the gateway serves, written by `npm run compose`. */
export const SUPERGRAPH_PATH = join(__dirname, '..', 'supergraph.graphql');

const subgraphListSchema = z
  .array(
    z.object({
      name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lowercase subgraph name'),
      url: z.url(),
    }),
  )
  .min(1);

export interface SubgraphDefinition {
  /** Subgraph name: the supergraph's graph name and the service token's audience. */
  name: string;
  /** Where it listens locally unless `urlVariable` says otherwise. */
  defaultUrl: string;
  /** Environment variable overriding the URL, e.g. `USER_SUBGRAPH_URL`. */
  urlVariable: string;
}

export function subgraphUrlVariable(name: string): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_SUBGRAPH_URL`;
}

export function loadSubgraphList(path: string = SUBGRAPH_LIST_PATH): SubgraphDefinition[] {
  const parsed = subgraphListSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`Invalid subgraph list ${path}: ${problems.join('; ')}`);
  }
  return parsed.data.map(({ name, url }) => ({
    name,
    defaultUrl: url,
    urlVariable: subgraphUrlVariable(name),
  }));
}

export const SUBGRAPHS: readonly SubgraphDefinition[] = loadSubgraphList();
