import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamicModule, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { baseConfigSchema, loadConfig } from '@servicedesk/platform';
import { MESSAGING_OPTIONS, MessagingModuleOptions } from './messaging.options';
import { MessagingModule } from './messaging.module';
import { SubgraphModule } from './subgraph.module';

function messagingOptionsOf(module: DynamicModule): MessagingModuleOptions {
  const messaging = (module.imports ?? []).find(
    (imported): imported is DynamicModule =>
      typeof imported === 'object' && 'module' in imported && imported.module === MessagingModule,
  );
  const provider = messaging?.providers?.find(
    (p: Provider) => typeof p === 'object' && 'provide' in p && p.provide === MESSAGING_OPTIONS,
  ) as { useValue: MessagingModuleOptions } | undefined;
  if (!provider) throw new Error('SubgraphModule imports no configured MessagingModule');
  return provider.useValue;
}

/** A service folder holding `src/schema.graphql`, as SubgraphModule expects. */
const serviceFolder = mkdtempSync(join(tmpdir(), 'subgraph-'));
const serviceSource = join(serviceFolder, 'src');
mkdirSync(serviceSource);
writeFileSync(join(serviceSource, 'schema.graphql'), 'type Query { ping: String }\n');
afterAll(() => rmSync(serviceFolder, { recursive: true, force: true }));

const subgraph = (env: Record<string, string>, consumer?: { prefetch: number }) =>
  SubgraphModule.forRoot({
    service: 'probe',
    schema: 'probe',
    config: loadConfig(baseConfigSchema, env),
    dataSource: () => ({}) as DataSource,
    schemaDir: serviceSource,
    consumer,
  });

describe('SubgraphModule', () => {
  it('tunes the relay and the consumers from the configuration', () => {
    const options = messagingOptionsOf(
      subgraph({
        CONSUMER_MAX_ATTEMPTS: '3',
        CONSUMER_RETRY_BASE_MS: '250',
        CONSUMER_RETRY_MAX_MS: '4000',
        CONSUMER_DELIVERY_LIMIT: '9',
        CONSUMER_PREFETCH: '4',
        CONSUMER_BATCH_SIZE: '50',
        CONSUMER_BATCH_WAIT_MS: '5',
        OUTBOX_POLL_INTERVAL_MS: '1500',
        OUTBOX_MAX_ATTEMPTS: '7',
      }),
    );
    expect(options.consumer).toEqual({
      prefetch: 4,
      maxAttempts: 3,
      deliveryLimit: 9,
      batchSize: 50,
      batchWaitMs: 5,
      retry: { baseMs: 250, maxMs: 4000 },
    });
    expect(options.relay).toEqual({ pollIntervalMs: 1500, maxAttempts: 7 });
  });

  it("lets a service's own consumer tuning override the configuration", () => {
    const options = messagingOptionsOf(subgraph({ CONSUMER_PREFETCH: '4' }, { prefetch: 1 }));
    expect(options.consumer?.prefetch).toBe(1);
    expect(options.consumer?.maxAttempts).toBe(5);
  });

  it('keeps the configured retry delays a service does not override', () => {
    const options = messagingOptionsOf(
      SubgraphModule.forRoot({
        service: 'probe',
        schema: 'probe',
        config: loadConfig(baseConfigSchema, { CONSUMER_RETRY_MAX_MS: '9000' }),
        dataSource: () => ({}) as DataSource,
        schemaDir: serviceSource,
        consumer: { retry: { baseMs: 50 } },
      }),
    );
    expect(options.consumer?.retry).toEqual({ baseMs: 50, maxMs: 9000 });
  });
});
