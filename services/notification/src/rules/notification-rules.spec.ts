import { randomUUID } from 'node:crypto';
import { anEvent } from '@servicedesk/testing';
import { NOTIFIABLE_EVENTS, RuleContext, targetsOf } from './notification-rules';

const now = new Date('2026-06-01T12:00:00.000Z');
const context: RuleContext = { now, criticalAppointmentMs: 24 * 3_600_000 };
const hoursFromNow = (hours: number) => new Date(now.getTime() + hours * 3_600_000).toISOString();

const requesterId = randomUUID();
const assigneeId = randomUUID();
const agentId = randomUUID();
const customerId = randomUUID();

const who = (event: Parameters<typeof targetsOf>[0]) =>
  targetsOf(event, context).map(({ recipientId, audience, category, critical }) => ({
    recipientId,
    audience,
    category,
    critical,
  }));

describe('who hears of what', () => {
  it('welcomes a registered user', () => {
    const event = anEvent('user.registered');
    expect(who(event)).toEqual([
      { recipientId: event.payload.userId, audience: 'user', category: 'ACCOUNT', critical: false },
    ]);
  });

  it('tells a user of a role change as critical security news', () => {
    const event = anEvent('user.role_changed');
    expect(who(event)).toEqual([
      { recipientId: event.payload.userId, audience: 'user', category: 'SECURITY', critical: true },
    ]);
  });

  it('notifies nobody of an erasure or of its own events', () => {
    expect(who(anEvent('user.erased'))).toEqual([]);
    expect(who(anEvent('notification.sent'))).toEqual([]);
    expect(who(anEvent('notification.failed'))).toEqual([]);
  });

  it('confirms a new ticket to its requester', () => {
    expect(who(anEvent('ticket.created', { payload: { requesterId } }))).toEqual([
      {
        recipientId: requesterId,
        audience: 'requester',
        category: 'TICKET_UPDATES',
        critical: false,
      },
    ]);
  });

  it('tells the assignee and the requester of an assignment', () => {
    const event = anEvent('ticket.assigned', { payload: { requesterId, assigneeId } });
    expect(who(event).map((t) => [t.recipientId, t.audience])).toEqual([
      [assigneeId, 'assignee'],
      [requesterId, 'requester'],
    ]);
  });

  it('does not tell an agent who took a ticket that it is theirs', () => {
    const event = anEvent('ticket.assigned', {
      payload: { requesterId, assigneeId },
      actor: { id: assigneeId, role: 'AGENT' },
    });
    expect(who(event).map((t) => t.recipientId)).toEqual([requesterId]);
  });

  it('tells the requester of a status change, and the assignee unless they made it', () => {
    const byOther = anEvent('ticket.status_changed', { payload: { requesterId, assigneeId } });
    expect(who(byOther).map((t) => t.audience)).toEqual(['requester', 'assignee']);
    const byAssignee = anEvent('ticket.status_changed', {
      payload: { requesterId, assigneeId },
      actor: { id: assigneeId, role: 'AGENT' },
    });
    expect(who(byAssignee).map((t) => t.audience)).toEqual(['requester']);
  });

  it('tells the requester and the assignee of a public comment, except its author', () => {
    const byAgent = anEvent('ticket.commented', {
      payload: { requesterId, assigneeId, authorId: assigneeId, internal: false },
    });
    expect(who(byAgent)).toEqual([
      {
        recipientId: requesterId,
        audience: 'requester',
        category: 'TICKET_COMMENTS',
        critical: false,
      },
    ]);
    const byCustomer = anEvent('ticket.commented', {
      payload: { requesterId, assigneeId, authorId: requesterId, internal: false },
    });
    expect(who(byCustomer).map((t) => t.recipientId)).toEqual([assigneeId]);
  });

  it('never tells the requester of an internal note', () => {
    const byOther = anEvent('ticket.commented', {
      payload: { requesterId, assigneeId, authorId: randomUUID(), internal: true },
    });
    expect(who(byOther).map((t) => t.recipientId)).toEqual([assigneeId]);
    const byAssignee = anEvent('ticket.commented', {
      payload: { requesterId, assigneeId, authorId: assigneeId, internal: true },
    });
    expect(who(byAssignee)).toEqual([]);
    const unassigned = anEvent('ticket.commented', {
      payload: { requesterId, assigneeId: null, authorId: randomUUID(), internal: true },
    });
    expect(who(unassigned)).toEqual([]);
  });

  it('warns the assignee of a missed SLA as critical, and nobody on an unassigned ticket', () => {
    expect(who(anEvent('ticket.sla_breached', { payload: { requesterId, assigneeId } }))).toEqual([
      { recipientId: assigneeId, audience: 'assignee', category: 'SLA', critical: true },
    ]);
    expect(who(anEvent('ticket.sla_breached', { payload: { assigneeId: null } }))).toEqual([]);
  });

  it.each(['appointment.booked', 'appointment.rescheduled', 'appointment.cancelled'] as const)(
    'tells both sides of %s, critical only when it starts within the critical window',
    (type) => {
      const soon = anEvent(type, {
        payload: { agentId, customerId, startsAt: hoursFromNow(23), endsAt: hoursFromNow(24) },
      });
      expect(who(soon)).toEqual([
        { recipientId: customerId, audience: 'customer', category: 'APPOINTMENTS', critical: true },
        { recipientId: agentId, audience: 'agent', category: 'APPOINTMENTS', critical: true },
      ]);
      const later = anEvent(type, {
        payload: { agentId, customerId, startsAt: hoursFromNow(25), endsAt: hoursFromNow(26) },
      });
      expect(who(later).map((t) => t.critical)).toEqual([false, false]);
    },
  );

  it.each(['appointment.completed', 'appointment.no_show'] as const)(
    'tells only the customer of %s',
    (type) => {
      expect(who(anEvent(type, { payload: { agentId, customerId } }))).toEqual([
        {
          recipientId: customerId,
          audience: 'customer',
          category: 'APPOINTMENTS',
          critical: false,
        },
      ]);
    },
  );

  it('reminds both sides of an appointment, as critical', () => {
    const event = anEvent('appointment.reminder_due', { payload: { agentId, customerId } });
    expect(who(event)).toEqual([
      { recipientId: customerId, audience: 'customer', category: 'REMINDERS', critical: true },
      { recipientId: agentId, audience: 'agent', category: 'REMINDERS', critical: true },
    ]);
  });

  it('names each person once even when the payload names them twice', () => {
    const event = anEvent('appointment.reminder_due', {
      payload: { agentId: customerId, customerId },
    });
    expect(who(event).map((t) => t.recipientId)).toEqual([customerId]);
  });

  it('has a rule for every event type it subscribes to', () => {
    for (const type of NOTIFIABLE_EVENTS) {
      expect(() => targetsOf(anEvent(type), context)).not.toThrow();
    }
  });
});
