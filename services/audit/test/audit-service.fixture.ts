import { ConfirmChannel } from 'amqplib';
import { INestApplication } from '@nestjs/common';
import { createLogger } from '@servicedesk/platform';
import {
  EventPublisher,
  ServiceEnvironment,
  ServiceUnderTest,
  ServiceUnderTestOptions,
  scrapeMetric,
  serviceEnvironment,
  startServiceUnderTest,
} from '@servicedesk/testing';
import { createAuditApp } from '../src/app';
import { AuditConfig, loadAuditConfig } from '../src/config';
import { migrateAuditDatabase } from '../src/migrate';

export const AUDIT_QUEUE = 'audit.events';

/** A row of audit.audit_entry as PostgreSQL returns it (seq as text). */
export interface AuditRow {
  seq: string;
  event_id: string;
  type: string;
  source: string;
  aggregate_type: string;
  aggregate_id: string;
  actor_id: string | null;
  actor_role: string | null;
  correlation_id: string;
  occurred_at: Date;
  recorded_at: Date;
  payload: unknown;
  prev_hash: string;
  hash: string;
}

/** The columns of audit.audit_entry, seq as text (it is a bigint). */
export const AUDIT_ROW_COLUMNS = `seq::text AS seq, event_id, type, source, aggregate_type, aggregate_id, actor_id,
  actor_role, correlation_id, occurred_at, recorded_at, payload, prev_hash, hash`;

/** A running audit service on its own database and vhost, and the tools to drive it. */
export interface AuditServiceFixture extends ServiceUnderTest<AuditConfig, INestApplication> {
  /** A channel on the service's vhost, to inspect its queues. */
  broker: ConfirmChannel;
  /** Publishes an envelope the way the relay does and waits for the broker's confirm. */
  publish: EventPublisher['publish'];
  /** Publishes arbitrary bytes with `routingKey`, for malformed-message tests. */
  publishRaw: EventPublisher['publishRaw'];
  /**
   * The value of a sample in the /metrics of the service (or of the instance whose management
   * URL is `managementUrl`), 0 when absent.
   */
  metric(name: string, labels?: Record<string, string>, managementUrl?: string): Promise<number>;
  /** Audit rows of the given events, in seq order. */
  entriesOf(eventIds: readonly string[]): Promise<AuditRow[]>;
  /** Another instance of the service on the same database and broker (a replica). */
  startReplica(): Promise<{ app: INestApplication; url: string; managementUrl: string }>;
}

const auditService: ServiceUnderTestOptions<AuditConfig, INestApplication> = {
  service: 'audit',
  loadConfig: loadAuditConfig,
  migrate: migrateAuditDatabase,
  createApp: (config) => createAuditApp(config, createLogger('audit', config.LOG_LEVEL)),
};

/** A migrated audit database and a vhost of its own, with no instance of the service started yet. */
export function auditEnvironment(): Promise<ServiceEnvironment<AuditConfig, INestApplication>> {
  return serviceEnvironment(auditService);
}

export async function startAuditService(): Promise<AuditServiceFixture> {
  const service = await startServiceUnderTest(auditService);
  return {
    ...service,
    broker: service.events.channel,
    publish: service.events.publish,
    publishRaw: service.events.publishRaw,
    async metric(name, labels = {}, managementUrl = service.managementUrl) {
      return (await scrapeMetric(managementUrl, name, labels)) ?? 0;
    },
    async entriesOf(eventIds) {
      const { rows } = await service.db.query<AuditRow>(
        `SELECT ${AUDIT_ROW_COLUMNS} FROM audit.audit_entry WHERE event_id = ANY($1) ORDER BY audit_entry.seq`,
        [eventIds],
      );
      return rows;
    },
    startReplica: () => service.startInstance(),
  };
}
