import { loadToolsConfig } from './config';
import { ensureDatabase } from './infrastructure-check';
import { ServiceStack, stackEnvironment, stackPorts } from './start';

/**
 * `npm run migrate`: creates the database if needed and brings every service's schema up to
 * date, without starting anything (what a deployment runs before rolling out new code).
 */
async function main(): Promise<void> {
  const config = loadToolsConfig();
  await ensureDatabase(config.DATABASE_URL);
  const ports = stackPorts((spec) => spec.defaultPort);
  const stack = new ServiceStack({
    env: stackEnvironment(ports),
    ports,
    stdio: 'inherit',
    say: (line) => process.stdout.write(`[servicedesk] ${line}\n`),
    onUnexpectedExit: () => undefined,
  });
  await stack.migrate();
  process.stdout.write('[servicedesk] every schema is up to date\n');
}

main().catch((error: Error) => {
  process.stdout.write(`[servicedesk] migration failed: ${error.message}\n`);
  process.exitCode = 1;
});
