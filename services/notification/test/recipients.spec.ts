import { randomUUID } from 'node:crypto';
import { anIdentity } from '@servicedesk/testing';
import { aKnownTicket, deliver } from './builders';
import {
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

describe('notification service: who is told, and what the mail says', () => {
  let service: NotificationServiceFixture;
  let customer: Person;
  let agent: Person;
  let otherAgent: Person;

  beforeAll(async () => {
    service = await startNotificationService();
    customer = await service.registerPerson('CUSTOMER', { name: 'Alan Turing' });
    agent = await service.registerPerson('AGENT', {
      name: 'Grace Hopper',
      timeZone: 'America/New_York',
    });
    otherAgent = await service.registerPerson('AGENT', { name: 'Edsger Dijkstra' });
  });

  afterAll(() => service?.close());

  const recipientsOf = async (eventId: string) =>
    (await service.notificationsOf(eventId)).map((row) => [row.recipient_id, row.channel]);

  it('welcomes a newly registered person by email and in the app', async () => {
    const welcome = await service.smtp.waitForMail(
      (mail) => mail.to.includes(customer.email) && mail.subject === 'Welcome to Servicedesk',
      'the welcome mail',
    );
    expect(welcome.text).toContain('Hello Alan Turing,');
    expect(welcome.from).toBe('Servicedesk <no-reply@servicedesk.local>');
    const { rows } = await service.db.query(
      `SELECT title FROM notification.notifications
       WHERE recipient_id = $1 AND channel = 'IN_APP' AND type = 'user.registered'`,
      [customer.userId],
    );
    expect(rows).toEqual([{ title: 'Welcome to Servicedesk' }]);
  });

  it('confirms a ticket to its requester, by title', async () => {
    const { created, title } = await aKnownTicket(service, customer);

    expect(await recipientsOf(created.id)).toEqual([
      [customer.userId, 'EMAIL'],
      [customer.userId, 'IN_APP'],
    ]);
    const mail = await service.smtp.waitForMail(
      (m) => m.to.includes(customer.email) && m.subject === `We received your ticket "${title}"`,
      'the ticket confirmation',
    );
    expect(mail.to).toEqual([customer.email]);
  });

  it('tells the assignee and the requester of an assignment', async () => {
    const { ticketId, title } = await aKnownTicket(service, customer);
    const assigned = await deliver(service, 'ticket.assigned', {
      aggregateId: ticketId,
      actor: { id: otherAgent.userId, role: 'AGENT' },
      payload: {
        ticketId,
        requesterId: customer.userId,
        assigneeId: agent.userId,
        previousAssigneeId: null,
      },
    });

    const rows = await service.notificationsOf(assigned.id);
    expect(new Set(rows.map((row) => row.recipient_id))).toEqual(
      new Set([customer.userId, agent.userId]),
    );
    await service.smtp.waitForMail(
      (m) => m.to.includes(agent.email) && m.subject === `Ticket assigned to you: "${title}"`,
      'the assignee’s mail',
    );
    const toRequester = await service.smtp.waitForMail(
      (m) => m.to.includes(customer.email) && m.subject === `Ticket "${title}" was assigned`,
      'the requester’s mail',
    );
    expect(toRequester.text).toContain('Grace Hopper is now taking care of it.');
  });

  it('tells the requester of a public comment but never of an internal note', async () => {
    const { ticketId, title } = await aKnownTicket(service, customer);
    const comment = (authorId: string, internal: boolean) =>
      deliver(service, 'ticket.commented', {
        aggregateId: ticketId,
        actor: { id: authorId, role: 'AGENT' },
        payload: {
          ticketId,
          requesterId: customer.userId,
          assigneeId: agent.userId,
          commentId: randomUUID(),
          authorId,
          internal,
        },
      });

    const publicByAssignee = await comment(agent.userId, false);
    const internalByColleague = await comment(otherAgent.userId, true);

    expect(await recipientsOf(publicByAssignee.id)).toEqual([
      [customer.userId, 'EMAIL'],
      [customer.userId, 'IN_APP'],
    ]);
    expect(await recipientsOf(internalByColleague.id)).toEqual([
      [agent.userId, 'EMAIL'],
      [agent.userId, 'IN_APP'],
    ]);
    await service.smtp.waitForMail(
      (m) => m.to.includes(agent.email) && m.subject === `New internal note on "${title}"`,
      'the internal note mail to the assignee',
    );
    expect(
      service.smtp.mailsTo(customer.email).filter((m) => m.subject.includes('internal')),
    ).toEqual([]);
  });

  it('tells the requester of a status change and the assignee only when someone else made it', async () => {
    const { ticketId } = await aKnownTicket(service, customer);
    const changed = (actorId: string) =>
      deliver(service, 'ticket.status_changed', {
        aggregateId: ticketId,
        actor: { id: actorId, role: 'AGENT' },
        payload: {
          ticketId,
          requesterId: customer.userId,
          assigneeId: agent.userId,
          from: 'OPEN',
          to: 'IN_PROGRESS',
          version: 2,
        },
      });

    const byAssignee = await changed(agent.userId);
    const byColleague = await changed(otherAgent.userId);

    expect(new Set((await recipientsOf(byAssignee.id)).map(([id]) => id))).toEqual(
      new Set([customer.userId]),
    );
    expect(new Set((await recipientsOf(byColleague.id)).map(([id]) => id))).toEqual(
      new Set([customer.userId, agent.userId]),
    );
  });

  it('warns the assignee of a missed SLA as critical', async () => {
    const { ticketId } = await aKnownTicket(service, customer);
    const breached = await deliver(service, 'ticket.sla_breached', {
      aggregateId: ticketId,
      actor: null,
      payload: { ticketId, requesterId: customer.userId, assigneeId: agent.userId },
    });

    const rows = await service.notificationsOf(breached.id);
    expect(rows.map((r) => [r.recipient_id, r.category, r.critical])).toEqual([
      [agent.userId, 'SLA', true],
      [agent.userId, 'SLA', true],
    ]);
  });

  it('skips people it never hears of, once the retries waiting for them are spent', async () => {
    const stranger = anIdentity('AGENT');
    const { ticketId, title } = await aKnownTicket(service, customer);

    // Every attempt of the message (three here) runs the handler again.
    const assigned = await deliver(service, 'ticket.assigned', {
      aggregateId: ticketId,
      actor: { id: otherAgent.userId, role: 'AGENT' },
      payload: {
        ticketId,
        requesterId: customer.userId,
        assigneeId: stranger.userId,
        previousAssigneeId: null,
      },
    });

    expect(await recipientsOf(assigned.id)).toEqual([
      [customer.userId, 'EMAIL'],
      [customer.userId, 'IN_APP'],
    ]);
    expect(
      service.smtp
        .mailsTo(customer.email)
        .filter((m) => m.subject === `Ticket "${title}" was assigned`),
    ).toHaveLength(1);
    expect(await service.deadLetterCount()).toBe(0);
  });

  it('writes appointment times in each recipient’s own zone and escapes what people typed', async () => {
    const startsAt = '2027-03-02T15:00:00.000Z';
    const event = await deliver(service, 'appointment.rescheduled', {
      payload: {
        agentId: agent.userId,
        customerId: customer.userId,
        previousStartsAt: '2027-03-01T15:00:00.000Z',
        startsAt,
        endsAt: '2027-03-02T15:30:00.000Z',
        reason: 'Room <b>flooded</b> & closed',
      },
    });

    const toCustomer = await service.smtp.waitForMail(
      (m) => m.to.includes(customer.email) && m.subject.startsWith('Appointment moved'),
      'the customer’s reschedule mail',
    );
    expect(toCustomer.subject).toBe('Appointment moved to Tue 2 Mar 2027, 16:00 (Europe/Berlin)');
    expect(toCustomer.text).toContain('with Grace Hopper on Mon 1 Mar 2027, 16:00 (Europe/Berlin)');
    expect(toCustomer.text).toContain('Reason: Room <b>flooded</b> & closed');
    expect(toCustomer.html).toContain('Reason: Room &lt;b&gt;flooded&lt;/b&gt; &amp; closed');
    expect(toCustomer.html).not.toContain('<b>flooded');

    const toAgent = await service.smtp.waitForMail(
      (m) => m.to.includes(agent.email) && m.subject.startsWith('Appointment moved'),
      'the agent’s reschedule mail',
    );
    expect(toAgent.subject).toBe('Appointment moved to Tue 2 Mar 2027, 10:00 (America/New_York)');
    expect(toAgent.text).toContain('Hello Grace Hopper,');
    expect(toAgent.text).toContain('with Alan Turing');
    expect((await service.notificationsOf(event.id)).every((r) => r.status === 'SENT')).toBe(true);
  });

  it('tells a person of a role change as critical security news', async () => {
    const event = await deliver(service, 'user.role_changed', {
      aggregateId: otherAgent.userId,
      payload: { userId: otherAgent.userId, previousRole: 'AGENT', role: 'ADMIN' },
    });

    const mail = await service.smtp.waitForMail(
      (m) => m.to.includes(otherAgent.email) && m.text.includes('to ADMIN'),
      'the security mail',
    );
    expect(mail.text).toContain('Your role changed from AGENT to ADMIN.');
    expect(
      (await service.notificationsOf(event.id)).map((r) => [r.category, r.critical, r.status]),
    ).toEqual([
      ['SECURITY', true, 'SENT'],
      ['SECURITY', true, 'SENT'],
    ]);
  });
});
