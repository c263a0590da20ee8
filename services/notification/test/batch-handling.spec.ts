import { randomUUID } from 'node:crypto';
import { EventEnvelope } from '@servicedesk/contracts';
import { Delivery, UnitOfWork } from '@servicedesk/messaging';
import { runWithContext } from '@servicedesk/platform';
import { anEvent } from '@servicedesk/testing';
import { NotificationEventsHandler } from '../src/delivery/notification-events.handler';
import {
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

/** A first delivery of `event`, whose work runs in its correlation context as the consumer's does. */
function firstDelivery(event: EventEnvelope): Delivery {
  return {
    attempt: 1,
    maxAttempts: 3,
    finalAttempt: false,
    within: (work) => runWithContext({ correlationId: event.correlationId, identity: null }, work),
  };
}

/**
 * A batch of messages handled as the consumer does it: `handleBatch` in one transaction, then
 * `afterCommitBatch` for all of them. The emails of the whole batch go out together, each
 * once, and each reported in the context of its own event.
 */
describe('notification service: a batch of messages', () => {
  let service: NotificationServiceFixture;
  let handler: NotificationEventsHandler;
  let unitOfWork: UnitOfWork;
  let people: Person[];

  beforeAll(async () => {
    service = await startNotificationService();
    handler = service.instance.app.get(NotificationEventsHandler);
    unitOfWork = service.instance.app.get(UnitOfWork);
    people = [
      await service.registerPerson('CUSTOMER'),
      await service.registerPerson('CUSTOMER'),
      await service.registerPerson('CUSTOMER'),
    ];
  });

  afterAll(() => service?.close());

  function aTicketOf(person: Person): EventEnvelope<'ticket.created'> {
    const ticketId = randomUUID();
    return anEvent('ticket.created', {
      aggregateId: ticketId,
      actor: { id: person.userId, role: 'CUSTOMER' },
      payload: { ticketId, requesterId: person.userId, title: `Batch ${ticketId.slice(0, 8)}` },
    });
  }

  async function handleBatch(events: EventEnvelope[]): Promise<void> {
    await unitOfWork.run((tx) => handler.handleBatch(events, tx, events.map(firstDelivery)));
  }

  it('stores every notification in one transaction, then sends every email once, each in its own event’s context', async () => {
    const events = people.map(aTicketOf);
    await handleBatch(events);
    for (const event of events) {
      const rows = await service.notificationsOf(event.id);
      expect(rows.map((row) => [row.channel, row.status])).toEqual([
        ['EMAIL', 'PENDING'],
        ['IN_APP', 'SENT'],
      ]);
    }

    const failures = await handler.afterCommitBatch(events, events.map(firstDelivery));

    expect(failures).toEqual(events.map(() => undefined));

    const sent = await service.outbox('notification.sent');
    for (const [index, event] of events.entries()) {
      const [email, inApp] = await service.notificationsOf(event.id);
      expect(email).toMatchObject({ channel: 'EMAIL', status: 'SENT', attempts: 1 });
      expect(
        service.smtp
          .mailsTo(people[index].email)
          .filter((m) => m.subject.includes(event.payload.title)),
      ).toHaveLength(1);
      for (const notification of [email, inApp]) {
        const reports = sent.filter(
          (row) => row.envelope.payload.notificationId === notification.id,
        );
        expect(reports).toHaveLength(1);
        expect(reports[0].envelope.correlationId).toBe(event.correlationId);
      }
    }
  });

  it('stores nothing of a batch in which a recipient is not known yet', async () => {
    const stranger = { ...people[0], userId: randomUUID() };
    const events = [aTicketOf(people[1]), aTicketOf(stranger)];

    await expect(handleBatch(events)).rejects.toThrow(/not known yet/);

    for (const event of events) expect(await service.notificationsOf(event.id)).toEqual([]);
  });
});
