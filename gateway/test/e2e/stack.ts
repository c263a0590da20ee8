import { INestApplication } from '@nestjs/common';
import { exportPKCS8, generateKeyPair, CryptoKey } from 'jose';
import {
  createTestDatabase,
  createTestVhost,
  gatewayClient,
  TestResource,
  uniqueName,
} from '@servicedesk/testing';
import { createUserApp, loadUserConfig, migrateUserDatabase } from '@servicedesk/user-service';
import {
  createTicketApp,
  loadTicketConfig,
  migrateTicketDatabase,
} from '@servicedesk/ticket-service';
import { createAuditApp, loadAuditConfig, migrateAuditDatabase } from '@servicedesk/audit-service';
import { createGateway, loadGatewayConfig, RunningGateway } from '@servicedesk/gateway';

/**
 * The whole platform in one test process: every subgraph on its own port against a
 * database and a RabbitMQ vhost of its own, and the gateway in front of them, composed
 * from the checked-in supergraph.
 */
export interface Stack {
  api: ReturnType<typeof gatewayClient>;
  gatewayUrl: string;
  subgraphUrls: Record<'user' | 'ticket' | 'audit', string>;
  serviceTokenSecret: string;
  admin: { email: string; password: string };
  /** The key the user service signs access tokens with, to forge expired tokens in tests. */
  signingKey: { key: CryptoKey; kid: string };
  stopSubgraph(name: 'user' | 'ticket' | 'audit'): Promise<void>;
  close(): Promise<void>;
}

const ADMIN = { email: 'root@e2e.servicedesk.test', password: 'E2e-admin-password-42!' };

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `${await app.getUrl()}/graphql`.replace('[::1]', '127.0.0.1');
}

export async function startStack(extraEnv: Record<string, string> = {}): Promise<Stack> {
  const resources: TestResource[] = [];
  const database = await createTestDatabase();
  resources.push(database);
  const vhost = await createTestVhost();
  resources.push(vhost);

  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = uniqueName('e2e-key');
  const serviceTokenSecret = uniqueName('e2e-service-secret-with-enough-length');
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    SERVICE_TOKEN_SECRET: serviceTokenSecret,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    JWT_PRIVATE_KEY: await exportPKCS8(privateKey),
    JWT_KEY_ID: kid,
    ...extraEnv,
  };

  const userConfig = loadUserConfig({ ...env, USER_PORT: '0' });
  const ticketConfig = loadTicketConfig({ ...env, TICKET_PORT: '0' });
  const auditConfig = loadAuditConfig({ ...env, AUDIT_PORT: '0' });
  await migrateUserDatabase(userConfig);
  await migrateTicketDatabase(ticketConfig);
  await migrateAuditDatabase(auditConfig);

  const apps = {
    user: await createUserApp(userConfig),
    ticket: await createTicketApp(ticketConfig),
    audit: await createAuditApp(auditConfig),
  };
  const subgraphUrls = {
    user: await listen(apps.user),
    ticket: await listen(apps.ticket),
    audit: await listen(apps.audit),
  };
  const stopped = new Set<string>();

  const gateway: RunningGateway = await createGateway(
    loadGatewayConfig({
      ...env,
      GATEWAY_PORT: '0',
      USER_SUBGRAPH_URL: subgraphUrls.user,
      TICKET_SUBGRAPH_URL: subgraphUrls.ticket,
      AUDIT_SUBGRAPH_URL: subgraphUrls.audit,
      JWKS_URL: subgraphUrls.user.replace('/graphql', '/.well-known/jwks.json'),
      SUBGRAPH_TIMEOUT_MS: '5000',
    }),
  );

  return {
    api: gatewayClient(gateway.url),
    gatewayUrl: gateway.url,
    subgraphUrls,
    serviceTokenSecret,
    admin: ADMIN,
    signingKey: { key: privateKey, kid },
    async stopSubgraph(name) {
      stopped.add(name);
      await apps[name].close();
    },
    async close() {
      await gateway.close();
      for (const [name, app] of Object.entries(apps)) {
        if (!stopped.has(name)) await app.close();
      }
      for (const resource of resources.reverse()) await resource.drop();
    },
  };
}
