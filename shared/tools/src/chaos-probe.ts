import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { Client } from 'pg';
import {
  PlannedQueue,
  SqlRunner,
  TopologyOptions,
  messagingSchemas,
  peekDeadLetters,
  platformQueues,
} from '@servicedesk/messaging';
import { quoteIdentifier } from '@servicedesk/platform';
import type { SmtpTestServer } from '@servicedesk/testing';
import type {
  CommittedEvent,
  DeadLetterRecord,
  QueueDepth,
  Snapshot,
  SubscriptionRecord,
} from './chaos-snapshot-types';

/**
 * Reads the platform from the outside for the fault-injection suite: its database (directly,
 * not through the fault proxies), the queues of its registry as its RabbitMQ vhost has them
 * (rabbitmqctl, and a peek into the DLQs) and the run's SMTP server.
 */

const run = promisify(execFile);
/** More than a scenario parks; the checker reads every parked message's id. */
const DEAD_LETTER_PEEK_LIMIT = 500;
/** The suite's own connection, left out of the stack's connection count. */
const APPLICATION_NAME = 'servicedesk-chaos';

export interface PlatformProbeOptions {
  databaseUrl: string;
  /** The vhost's AMQP URL, and its name for rabbitmqctl. */
  rabbitmqUrl: string;
  vhost: string;
  smtp: SmtpTestServer;
  /** The topology options the services run with (they decide the delay queues). */
  topology: TopologyOptions;
}

/** The registry's queues as the broker has them. */
export interface RegistryQueues {
  depths: QueueDepth[];
  /** Queues of the registry the broker does not have. */
  missing: string[];
}

/** Each planned queue's depth in the broker's `listed` queues, or its name among the missing. */
export function matchRegistryQueues(
  planned: readonly PlannedQueue[],
  listed: readonly QueueDepth[],
): RegistryQueues {
  const depths = new Map(listed.map((queue) => [queue.name, queue.messages]));
  return {
    depths: planned.flatMap(({ name }) =>
      depths.has(name) ? [{ name, messages: depths.get(name)! }] : [],
    ),
    missing: planned.filter(({ name }) => !depths.has(name)).map(({ name }) => name),
  };
}

/** Whether the platform has finished what it was given: what "quiet" waits for. */
export interface Backlog {
  pendingEvents: number;
  /** Work and delay queues holding messages, as `name: messages`. */
  busyQueues: string[];
  dueEmails: number;
}

export class PlatformProbe {
  /** The messaging helpers take rows, not pg's result objects. */
  private readonly sql: SqlRunner = {
    query: async (text, parameters) => (await this.db.query(text, parameters)).rows,
  };

  private constructor(
    private readonly db: Client,
    private readonly options: PlatformProbeOptions,
  ) {}

  static async open(options: PlatformProbeOptions): Promise<PlatformProbe> {
    const db = new Client({
      connectionString: options.databaseUrl,
      application_name: APPLICATION_NAME,
    });
    await db.connect();
    // A probe error must not crash the suite: the next query reports it.
    db.on('error', () => undefined);
    return new PlatformProbe(db, options);
  }

  close(): Promise<void> {
    return this.db.end();
  }

  /** Connections the stack's processes hold to the run's database right now. */
  async connections(): Promise<number> {
    const { rows } = await this.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_stat_activity
        WHERE datname = current_database() AND application_name <> $1`,
      [APPLICATION_NAME],
    );
    return rows[0].count;
  }

  /**
   * The registry's queues with their messages (ready and unacknowledged) as RabbitMQ counts
   * them, and those it does not have: a queue missing once quiet is lost topology.
   */
  async queues(): Promise<RegistryQueues> {
    const { stdout } = await run(
      'rabbitmqctl',
      ['-q', 'list_queues', '-p', this.options.vhost, 'name', 'messages', '--formatter', 'json'],
      { timeout: 20_000 },
    );
    const listed = JSON.parse(stdout || '[]') as Array<{ name: string; messages: number }>;
    return matchRegistryQueues(
      platformQueues(this.options.topology),
      listed.map(({ name, messages }) => ({ name, messages: Number(messages) || 0 })),
    );
  }

  async backlog(): Promise<Backlog> {
    let pendingEvents = 0;
    for (const schema of await messagingSchemas(this.sql)) {
      const { rows } = await this.db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM ${quoteIdentifier(schema)}.outbox WHERE status = 'PENDING'`,
      );
      pendingEvents += rows[0].count;
    }
    const busyQueues = (await this.queues()).depths
      .filter((q) => !q.name.endsWith('.dlq') && q.messages > 0)
      .map((q) => `${q.name}: ${q.messages}`);
    const { rows } = await this.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM notification.notifications
        WHERE status = 'PENDING' AND deliver_after <= now()`,
    );
    return { pendingEvents, busyQueues, dueEmails: rows[0].count };
  }

  async snapshot(): Promise<Snapshot> {
    const schemas = await messagingSchemas(this.sql);
    const events: CommittedEvent[] = [];
    for (const schema of schemas) {
      const { rows } = await this.db.query(
        `SELECT id, event_type, status, created_at, envelope->'actor'->>'id' AS actor_id,
                envelope->'payload' AS payload
           FROM ${quoteIdentifier(schema)}.outbox ORDER BY seq`,
      );
      for (const row of rows) {
        events.push({
          service: schema,
          id: row.id,
          type: row.event_type,
          status: row.status,
          createdAt: new Date(row.created_at).getTime(),
          actorId: row.actor_id,
          payload: row.payload ?? {},
        });
      }
    }
    const ids = async (sql: string) =>
      (await this.db.query<{ id: string }>(sql)).rows.map((row) => row.id);
    const { depths, missing } = await this.queues();
    const subscriptions: SubscriptionRecord[] = platformQueues(this.options.topology)
      .filter((queue) => queue.role === 'work')
      .map((queue) => ({ queue: queue.name, events: [...queue.bindings] }));
    return {
      events,
      auditEventIds: await ids(`SELECT event_id AS id FROM audit.audit_entry`),
      notifications: (
        await this.db.query(
          `SELECT id, source_event_id AS "eventId", recipient_id AS "recipientId", channel,
                  status, email_to AS "emailTo", title, body
             FROM notification.notifications`,
        )
      ).rows,
      mails: this.options.smtp.mails.map((mail) => ({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.headers['message-id']?.replace(/^<|>$/g, '') ?? null,
        receivedAt: mail.receivedAt.getTime(),
      })),
      users: await ids(`SELECT id FROM "user".users`),
      directories: {
        ticket: await ids(`SELECT id FROM ticket.known_users`),
        appointment: await ids(`SELECT id FROM appointment.known_users`),
        notification: await ids(`SELECT id FROM notification.recipients WHERE email IS NOT NULL`),
      },
      tickets: (await this.db.query(`SELECT id, assignee_id AS "assigneeId" FROM ticket.tickets`))
        .rows,
      comments: await ids(`SELECT id FROM ticket.comments`),
      appointments: await ids(`SELECT id FROM appointment.appointments`),
      subscriptions,
      queues: depths,
      missingQueues: missing,
      deadLetters: await this.deadLetters(depths),
    };
  }

  /** The ids of the messages parked in every non-empty DLQ (peeked, left in place). */
  private async deadLetters(queues: readonly QueueDepth[]): Promise<DeadLetterRecord[]> {
    const parked = queues.filter((q) => q.name.endsWith('.dlq') && q.messages > 0);
    if (parked.length === 0) return [];
    const connection = await connect(this.options.rabbitmqUrl);
    connection.on('error', () => undefined);
    try {
      const records: DeadLetterRecord[] = [];
      for (const { name } of parked) {
        const letters = await peekDeadLetters(connection, name, DEAD_LETTER_PEEK_LIMIT);
        records.push(...letters.map((letter) => ({ queue: name, messageId: letter.messageId })));
      }
      return records;
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
}
