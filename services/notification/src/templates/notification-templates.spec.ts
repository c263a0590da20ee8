import { randomUUID } from 'node:crypto';
import { anEvent } from '@servicedesk/testing';
import { NOTIFIABLE_EVENTS } from '../rules/notification-rules';
import { renderEmail } from './email-layout';
import { escapeHtml, formatInstant } from './format';
import { TemplateContext, contentOf } from './notification-templates';

const agentId = randomUUID();
const customerId = randomUUID();
const names = new Map<string, string>([
  [agentId, 'Grace Hopper'],
  [customerId, 'Alan <Turing>'],
]);

function context(overrides: Partial<TemplateContext> = {}): TemplateContext {
  return {
    audience: 'customer',
    recipient: { name: 'Ada', timeZone: 'Europe/Berlin' },
    ticketTitle: 'VPN drops',
    nameOf: (id) => (id && names.get(id)) || 'Someone',
    ...overrides,
  };
}

describe('formatting', () => {
  it('writes an instant in the reader’s zone, naming the zone', () => {
    expect(formatInstant('2026-12-01T13:30:00.000Z', 'Europe/Berlin')).toBe(
      'Tue 1 Dec 2026, 14:30 (Europe/Berlin)',
    );
    expect(formatInstant('2026-12-01T13:30:00.000Z', 'America/New_York')).toBe(
      'Tue 1 Dec 2026, 08:30 (America/New_York)',
    );
    expect(formatInstant('2026-12-01T13:30:00.000Z', 'Not/AZone')).toBe(
      'Tue 1 Dec 2026, 13:30 (UTC)',
    );
  });

  it('escapes everything HTML would interpret', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
    );
  });
});

describe('notification templates', () => {
  it('words an assignment for the assignee and for the requester', () => {
    const event = anEvent('ticket.assigned', {
      payload: { requesterId: customerId, assigneeId: agentId },
    });
    expect(contentOf(event, context({ audience: 'assignee' }))).toEqual({
      title: 'Ticket assigned to you: "VPN drops"',
      paragraphs: ['The ticket of Alan <Turing> is now yours.'],
    });
    expect(contentOf(event, context({ audience: 'requester' })).title).toBe(
      'Ticket "VPN drops" was assigned',
    );
  });

  it('falls back to neutral words when the ticket title is unknown', () => {
    const event = anEvent('ticket.status_changed', { payload: { from: 'OPEN', to: 'RESOLVED' } });
    expect(contentOf(event, context({ ticketTitle: null, audience: 'requester' }))).toEqual({
      title: 'Your ticket is now resolved',
      paragraphs: ['It moved from open to resolved.'],
    });
    expect(contentOf(event, context({ ticketTitle: null, audience: 'assignee' })).title).toBe(
      'A ticket is now resolved',
    );
  });

  it('writes appointment times in the reader’s zone, and names the other side', () => {
    const event = anEvent('appointment.booked', {
      payload: {
        agentId,
        customerId,
        startsAt: '2026-12-01T13:30:00.000Z',
        endsAt: '2026-12-01T14:00:00.000Z',
      },
    });
    expect(contentOf(event, context({ audience: 'customer' }))).toEqual({
      title: 'Appointment booked for Tue 1 Dec 2026, 14:30 (Europe/Berlin)',
      paragraphs: [
        'With Grace Hopper, from Tue 1 Dec 2026, 14:30 (Europe/Berlin) to Tue 1 Dec 2026, 15:00 (Europe/Berlin).',
      ],
    });
    const forAgent = contentOf(
      event,
      context({ audience: 'agent', recipient: { name: 'Grace', timeZone: 'Asia/Tokyo' } }),
    );
    expect(forAgent.title).toBe('Appointment booked for Tue 1 Dec 2026, 22:30 (Asia/Tokyo)');
    expect(forAgent.paragraphs[0]).toContain('With Alan <Turing>');
  });

  it('mentions the reason of a cancellation only when there is one', () => {
    const withReason = anEvent('appointment.cancelled', { payload: { reason: 'Sick' } });
    expect(contentOf(withReason, context()).paragraphs).toContain('Reason: Sick');
    const without = anEvent('appointment.cancelled', { payload: { reason: null } });
    expect(contentOf(without, context()).paragraphs).toHaveLength(1);
  });

  it('calls an internal note what it is', () => {
    const event = anEvent('ticket.commented', { payload: { internal: true, authorId: agentId } });
    expect(contentOf(event, context({ audience: 'assignee' }))).toEqual({
      title: 'New internal note on "VPN drops"',
      paragraphs: ['Grace Hopper added an internal note. Open the ticket to read it.'],
    });
  });

  it('has a template for every event that notifies', () => {
    for (const type of NOTIFIABLE_EVENTS) {
      const content = contentOf(anEvent(type), context());
      expect(content.title.length).toBeGreaterThan(0);
      expect(content.paragraphs.length).toBeGreaterThan(0);
    }
  });
});

describe('the email layout', () => {
  it('greets the reader in the text and HTML parts and escapes every value in the HTML', () => {
    const email = renderEmail(
      { title: 'Ticket "<script>" & more', paragraphs: ['By Alan <Turing>.'] },
      'Bobby <Tables>',
    );
    expect(email.subject).toBe('Ticket "<script>" & more');
    expect(email.text).toBe('Hello Bobby <Tables>,\n\nBy Alan <Turing>.\n\nYour Servicedesk team');
    expect(email.html).toContain('<h1>Ticket &quot;&lt;script&gt;&quot; &amp; more</h1>');
    expect(email.html).toContain('<p>Hello Bobby &lt;Tables&gt;,</p>');
    expect(email.html).toContain('<p>By Alan &lt;Turing&gt;.</p>');
    expect(email.html).not.toContain('<script>');
  });
});
