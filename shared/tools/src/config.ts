import { z } from 'zod';
import { baseConfigShape, loadConfig, portVariable } from '@servicedesk/platform/standalone';
import { ProcessSpec, SUBGRAPH_PROCESSES } from './processes';

/**
 * What the command-line tools read from the environment, validated like the services' own
 * configuration. The services check the rest themselves; the tools pass it on.
 */
const toolsConfigSchema = z.object({
  DATABASE_URL: baseConfigShape.DATABASE_URL,
  RABBITMQ_URL: baseConfigShape.RABBITMQ_URL,
  /** Unset: `npm start` catches the emails itself on the local default (see mail-catcher.ts). */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
});

export type ToolsConfig = z.infer<typeof toolsConfigSchema>;

export function loadToolsConfig(env: NodeJS.ProcessEnv = process.env): ToolsConfig {
  return loadConfig(toolsConfigSchema, env);
}

/** What the benchmark's stock gateway reads: the same credential secret and subgraph URLs as ours. */
const stockGatewayConfigSchema = z.object({
  SERVICE_TOKEN_SECRET: z.string().min(1),
  STOCK_GATEWAY_PORT: portVariable(0),
  ...Object.fromEntries(
    SUBGRAPH_PROCESSES.map((spec) => [
      `${spec.name.toUpperCase()}_SUBGRAPH_URL`,
      z.url().optional(),
    ]),
  ),
});

export interface StockGatewayConfig {
  secret: string;
  port: number;
  /** Each subgraph's URL by name, where the environment overrides the supergraph's. */
  subgraphUrls: Map<string, string>;
}

export function loadStockGatewayConfig(env: NodeJS.ProcessEnv = process.env): StockGatewayConfig {
  const config: Record<string, unknown> = loadConfig(stockGatewayConfigSchema, env);
  const subgraphUrls = new Map<string, string>();
  for (const spec of SUBGRAPH_PROCESSES) {
    const url = config[`${spec.name.toUpperCase()}_SUBGRAPH_URL`];
    if (typeof url === 'string') subgraphUrls.set(spec.name, url);
  }
  return {
    secret: config.SERVICE_TOKEN_SECRET as string,
    port: config.STOCK_GATEWAY_PORT as number,
    subgraphUrls,
  };
}

/** Each process's port: its `<NAME>_PORT` when set, else its default. */
export function configuredPorts(
  specs: readonly ProcessSpec[],
  env: NodeJS.ProcessEnv = process.env,
): Map<string, number> {
  const ports: Record<string, number> = loadConfig(
    z.object(Object.fromEntries(specs.map((s) => [s.portVariable, portVariable(s.defaultPort)]))),
    env,
  );
  return new Map(specs.map((spec) => [spec.name, ports[spec.portVariable]]));
}

/** The environment handed to the processes `npm start` runs: the caller's plus `extra`. */
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
