import { DataSource } from 'typeorm';
import { EventType } from '@servicedesk/contracts';
import { EventOverrides, anEvent } from '@servicedesk/testing';
import { aKnownTicket } from './builders';
import {
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

/** What one message cost the database, as the service's own connection pool saw it. */
interface Cost {
  /** Every round trip, transaction control included. */
  statements: number;
  /** Transaction blocks, and statements sent on their own (each its own transaction). */
  transactions: number;
}

/** Statements of the outbox relay (reading and marking rows): not a message's cost. */
const RELAY_STATEMENT = /outbox/i;
/** …except the rows a message's handling writes to the outbox (`tx.emit`). */
const EMITTED_EVENT = /^INSERT INTO "notification"\.outbox\s/;

/**
 * Records the statements the service's data source runs, grouped per transaction (a lone
 * statement is a group of its own). The relay publishing the service's own events runs
 * meanwhile; its groups are left out.
 */
class StatementRecorder {
  private readonly open = new Map<unknown, string[]>();
  private groups: string[][] = [];

  constructor(dataSource: DataSource) {
    const { logger } = dataSource;
    const logQuery = logger.logQuery.bind(logger);
    logger.logQuery = (query, parameters, queryRunner) => {
      this.record(query, queryRunner);
      return logQuery(query, parameters, queryRunner);
    };
  }

  /** Forgets what was recorded so far. */
  reset(): void {
    this.groups = [];
  }

  /** What was recorded since `reset`, the relay left out. */
  cost(): Cost {
    const own = this.groups.filter((group) =>
      group.every((query) => EMITTED_EVENT.test(query) || !RELAY_STATEMENT.test(query)),
    );
    return {
      statements: own.reduce((sum, group) => sum + group.length, 0),
      transactions: own.length,
    };
  }

  private record(query: string, runner: unknown): void {
    const group = this.open.get(runner);
    if (query === 'START TRANSACTION') {
      this.open.set(runner, [query]);
    } else if (!group) {
      this.groups.push([query]);
    } else {
      group.push(query);
      if (query === 'COMMIT' || query === 'ROLLBACK') {
        this.open.delete(runner);
        this.groups.push(group);
      }
    }
  }
}

/**
 * Upper bounds on what one message costs the database, all its notifications and emails
 * included (in-app rows and `notification.sent` stored, each email claimed, sent, marked).
 * The bounds hold a message to the batched statements (before them: 25 to 32 statements in
 * 6 to 8 transactions); one more query per recipient or per email breaks them. Each
 * `notification.sent` is a statement of its own (the outbox takes one event per `emit`).
 */
describe('notification service: statements and transactions per message (upper bounds)', () => {
  let service: NotificationServiceFixture;
  let recorder: StatementRecorder;
  let requester: Person;
  let agent: Person;
  let commenter: Person;

  beforeAll(async () => {
    service = await startNotificationService();
    recorder = new StatementRecorder(service.instance.app.get(DataSource));
    requester = await service.registerPerson('CUSTOMER');
    agent = await service.registerPerson('AGENT');
    commenter = await service.registerPerson('AGENT');
  });

  afterAll(() => service?.close());

  async function costOf<T extends EventType>(type: T, overrides: EventOverrides<T>): Promise<Cost> {
    recorder.reset();
    const event = await service.publish(anEvent(type, overrides));
    await service.waitForProcessed(event.id);
    return recorder.cost();
  }

  it('ticket.created: an in-app row and an email to the requester', async () => {
    const cost = await costOf('ticket.created', {
      actor: { id: requester.userId, role: 'CUSTOMER' },
      payload: { requesterId: requester.userId },
    });
    // inbox tx: inbox, ticket, people, preferences, rows, 1 event; claim; SENT tx: mark, 1 event
    expect(cost.statements).toBeLessThanOrEqual(14);
    expect(cost.transactions).toBeLessThanOrEqual(3);
  });

  it('ticket.commented: an in-app row and an email to the requester and to the assignee', async () => {
    const { ticketId } = await aKnownTicket(service, requester);
    const cost = await costOf('ticket.commented', {
      aggregateId: ticketId,
      actor: { id: commenter.userId, role: 'AGENT' },
      payload: {
        ticketId,
        requesterId: requester.userId,
        assigneeId: agent.userId,
        authorId: commenter.userId,
        internal: false,
      },
    });
    // inbox tx: inbox, people, preferences, rows, 2 events; claim; SENT tx: mark, 2 events
    expect(cost.statements).toBeLessThanOrEqual(14);
    expect(cost.transactions).toBeLessThanOrEqual(3);
  });

  it('appointment.booked: an in-app row and an email to the customer and to the agent', async () => {
    const cost = await costOf('appointment.booked', {
      actor: { id: requester.userId, role: 'CUSTOMER' },
      payload: { customerId: requester.userId, agentId: agent.userId },
    });
    expect(cost.statements).toBeLessThanOrEqual(14);
    expect(cost.transactions).toBeLessThanOrEqual(3);
  });
});
