import { z } from 'zod';

/**
 * What the command-line tools read from the environment. The services validate their
 * own configuration; the tools only need to reach the infrastructure and pass the rest on.
 */
const toolsConfigSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/servicedesk'),
  RABBITMQ_URL: z.string().url().default('amqp://guest:guest@127.0.0.1:5672'),
});

export type ToolsConfig = z.infer<typeof toolsConfigSchema>;

export function loadToolsConfig(env: NodeJS.ProcessEnv = process.env): ToolsConfig {
  const parsed = toolsConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The environment handed to the processes `npm start` runs: the caller's plus `extra`. */
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** A port from the environment when set there, else the default. */
export function portFromEnvironment(variable: string, fallback: number): number {
  const value = process.env[variable];
  return value ? Number(value) : fallback;
}
