import { INestApplication } from '@nestjs/common';
import { Logger, ManagementEndpoints } from '@servicedesk/platform';
import { exportPKCS8, generateKeyPair, CryptoKey } from 'jose';
import {
  SmtpTestServer,
  TestClock,
  createTestDatabase,
  createTestVhost,
  gatewayClient,
  startSmtpServer,
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
import {
  createAppointmentApp,
  loadAppointmentConfig,
  migrateAppointmentDatabase,
} from '@servicedesk/appointment-service';
import {
  createNotificationApp,
  loadNotificationConfig,
  migrateNotificationDatabase,
} from '@servicedesk/notification-service';
import { createGateway, loadGatewayConfig, RunningGateway } from '@servicedesk/gateway';
import { unthrottledRateLimits } from '../fixtures/rate-limit-keys';

export type SubgraphName = 'user' | 'ticket' | 'appointment' | 'audit' | 'notification';

/**
 * The whole platform in one test process: every subgraph on its own port against a
 * database and a RabbitMQ vhost of its own, a real SMTP server receiving the emails, and the
 * gateway in front, composed from the checked-in supergraph.
 */
export interface Stack {
  api: ReturnType<typeof gatewayClient>;
  gatewayUrl: string;
  /** Base URL of the gateway's `/health/*` and `/metrics`. */
  gatewayManagementUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  serviceTokenSecret: string;
  admin: { email: string; password: string };
  /** The key the user service signs access tokens with, to forge expired tokens in tests. */
  signingKey: { key: CryptoKey; kid: string };
  /** Every email the notification service sent. */
  mail: SmtpTestServer;
  /** The clocks of the services with time-based rules, so tests move time instead of waiting. */
  clocks: { appointment: TestClock; notification: TestClock };
  /** Base URL of a running subgraph's `/health/*` and `/metrics` (a free port, new on each restart). */
  subgraphManagementUrl(name: SubgraphName): string;
  stopSubgraph(name: SubgraphName): Promise<void>;
  /** Starts a stopped subgraph again, on the same port and with the same configuration. */
  restartSubgraph(name: SubgraphName): Promise<void>;
  close(): Promise<void>;
}

const ADMIN = { email: 'root@e2e.servicedesk.test', password: 'E2e-admin-password-42!' };

/** Quick timers for the time-based loops, so a moved clock takes effect within a test. */
const FAST_LOOPS = {
  APPOINTMENT_REMINDER_INTERVAL_MS: '200',
  NOTIFICATION_RELEASE_INTERVAL_MS: '200',
  CONSUMER_RETRY_BASE_MS: '200',
  CONSUMER_RETRY_MAX_MS: '2000',
};

async function listen(app: INestApplication, port = 0): Promise<string> {
  await app.listen(port, '127.0.0.1');
  return `${await app.getUrl()}/graphql`.replace('[::1]', '127.0.0.1');
}

export interface StackOptions {
  /** Each process's logger, e.g. to read what it logs; by default they log to stdout. */
  logger?: (process: SubgraphName | 'gateway') => Logger;
}

export async function startStack(
  extraEnv: Record<string, string> = {},
  options: StackOptions = {},
): Promise<Stack> {
  const resources: Array<Pick<TestResource, 'drop'>> = [];
  const database = await createTestDatabase();
  resources.push(database);
  const vhost = await createTestVhost();
  resources.push(vhost);
  const mail = await startSmtpServer();
  resources.push({ drop: () => mail.close() });

  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = uniqueName('e2e-key');
  const serviceTokenSecret = uniqueName('e2e-service-secret-with-enough-length');
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    SMTP_URL: mail.url,
    SERVICE_TOKEN_SECRET: serviceTokenSecret,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    JWT_PRIVATE_KEY: await exportPKCS8(privateKey),
    JWT_KEY_ID: kid,
    ...FAST_LOOPS,
    ...extraEnv,
  };
  const clocks = { appointment: new TestClock(), notification: new TestClock() };

  // Free ports for the management endpoints too, so stacks never collide with each other.
  const userConfig = loadUserConfig({ ...env, USER_PORT: '0', USER_MANAGEMENT_PORT: '0' });
  const ticketConfig = loadTicketConfig({ ...env, TICKET_PORT: '0', TICKET_MANAGEMENT_PORT: '0' });
  const appointmentConfig = loadAppointmentConfig({
    ...env,
    APPOINTMENT_PORT: '0',
    APPOINTMENT_MANAGEMENT_PORT: '0',
  });
  const auditConfig = loadAuditConfig({ ...env, AUDIT_PORT: '0', AUDIT_MANAGEMENT_PORT: '0' });
  const notificationConfig = loadNotificationConfig({
    ...env,
    NOTIFICATION_PORT: '0',
    NOTIFICATION_MANAGEMENT_PORT: '0',
  });
  await migrateUserDatabase(userConfig);
  await migrateTicketDatabase(ticketConfig);
  await migrateAppointmentDatabase(appointmentConfig);
  await migrateAuditDatabase(auditConfig);
  await migrateNotificationDatabase(notificationConfig);

  const factories: Record<SubgraphName, () => Promise<INestApplication>> = {
    user: () => createUserApp(userConfig, { logger: options.logger?.('user') }),
    ticket: () => createTicketApp(ticketConfig, options.logger?.('ticket')),
    appointment: () =>
      createAppointmentApp(appointmentConfig, {
        clock: clocks.appointment,
        logger: options.logger?.('appointment'),
      }),
    audit: () => createAuditApp(auditConfig, options.logger?.('audit')),
    notification: () =>
      createNotificationApp(notificationConfig, {
        clock: clocks.notification,
        logger: options.logger?.('notification'),
      }),
  };
  const names = Object.keys(factories) as SubgraphName[];
  const apps = {} as Record<SubgraphName, INestApplication>;
  const subgraphUrls = {} as Record<SubgraphName, string>;
  for (const name of names) {
    apps[name] = await factories[name]();
    subgraphUrls[name] = await listen(apps[name]);
  }
  const stopped = new Set<SubgraphName>();

  const gateway: RunningGateway = await createGateway(
    loadGatewayConfig({
      ...unthrottledRateLimits('e2e'),
      ...env,
      GATEWAY_PORT: '0',
      GATEWAY_MANAGEMENT_PORT: '0',
      ...Object.fromEntries(
        names.map((name) => [`${name.toUpperCase()}_SUBGRAPH_URL`, subgraphUrls[name]]),
      ),
      JWKS_URL: subgraphUrls.user.replace('/graphql', '/.well-known/jwks.json'),
      SUBGRAPH_TIMEOUT_MS: '5000',
    }),
    { logger: options.logger?.('gateway') },
  );

  return {
    api: gatewayClient(gateway.url),
    gatewayUrl: gateway.url,
    gatewayManagementUrl: gateway.managementUrl,
    subgraphUrls,
    serviceTokenSecret,
    admin: ADMIN,
    signingKey: { key: privateKey, kid },
    mail,
    clocks,
    subgraphManagementUrl(name) {
      return `http://127.0.0.1:${apps[name].get(ManagementEndpoints).port}`;
    },
    async stopSubgraph(name) {
      stopped.add(name);
      await apps[name].close();
    },
    async restartSubgraph(name) {
      apps[name] = await factories[name]();
      await listen(apps[name], Number(new URL(subgraphUrls[name]).port));
      stopped.delete(name);
    },
    async close() {
      await gateway.close();
      for (const name of names) {
        if (!stopped.has(name)) await apps[name].close();
      }
      for (const resource of resources.reverse()) await resource.drop();
    },
  };
}
