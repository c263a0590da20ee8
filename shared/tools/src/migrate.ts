import { loadToolsConfig } from './config';
import { ensureDatabase } from './infrastructure-check';
import { ServiceStack, stackEnvironment, stackPorts } from './start';

/**
 * `npm run migrate`: creates the database if needed, brings every service's schema up to date
 * and declares the broker topology (migrating queues of older versions), without starting
 * anything (what a deployment runs before rolling out new code, with the consumers stopped).
 */

async function main(): Promise<void> {
  const config = loadToolsConfig();
  const say = (line: string) => process.stdout.write(`[servicedesk] ${line}\n`);
  await ensureDatabase(config.DATABASE_URL);
  const ports = stackPorts((spec) => spec.defaultPort);
  const stack = new ServiceStack({
    env: stackEnvironment(ports),
    output: { stdout: process.stdout, stderr: process.stderr },
    say,
    onUnexpectedExit: () => undefined,
  });
  await stack.migrate();
}

main().catch((error: Error) => {
  process.stdout.write(`[servicedesk] migration failed: ${error.message}\n`);
  process.exitCode = 1;
});
