import { dataOf, waitFor } from '@servicedesk/testing';
import { Actor, createTicket, loginAdmin, register, registerAgent } from './actors';
import { MINUTE_MS, wallClock } from './calendar';
import { startStack, Stack } from './stack';

interface NotificationView {
  id: string;
  type: string;
  channel: 'EMAIL' | 'IN_APP';
  status: 'PENDING' | 'SENT' | 'FAILED';
  title: string;
  deliverAfter: string | null;
}

const MY_NOTIFICATIONS = `{ myNotifications(first: 100) {
  edges { node { id type channel status title deliverAfter } }
} }`;

async function notificationsOf(person: Actor): Promise<NotificationView[]> {
  const { myNotifications } = dataOf(
    await person.query<{ myNotifications: { edges: Array<{ node: NotificationView }> } }>(
      MY_NOTIFICATIONS,
    ),
  );
  return myNotifications.edges.map((edge) => edge.node);
}

/** Waits until `person` has a notification of `type` on `channel` that satisfies `accept`. */
function notificationArrives(
  person: Actor,
  type: string,
  channel: NotificationView['channel'],
  accept: (n: NotificationView) => boolean = () => true,
): Promise<NotificationView> {
  return waitFor(
    async () =>
      (await notificationsOf(person)).find(
        (n) => n.type === type && n.channel === channel && accept(n),
      ),
    { description: `a ${channel} notification of ${type} for ${person.email}` },
  );
}

const ASSIGN = `mutation($t: ID!, $a: ID!) { assignTicket(ticketId: $t, assigneeId: $a) { id } }`;
const COMMENT = `mutation($t: ID!, $b: String!, $i: Boolean) { addComment(ticketId: $t, body: $b, internal: $i) { id } }`;

describe('notifications through the gateway', () => {
  let stack: Stack;
  let admin: Actor;
  let agent: Actor;

  beforeAll(async () => {
    stack = await startStack();
    admin = await loginAdmin(stack);
    agent = await registerAgent(stack, admin, 'Grace');
  });

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    stack.clocks.notification.travelTo(new Date());
  });

  /** A new customer's ticket, assigned to the agent once the ticket service knows the agent. */
  async function assignedTicket(customer: Actor, title: string): Promise<string> {
    const { id } = await createTicket(customer, { title });
    await waitFor(async () => (await admin.query(ASSIGN, { t: id, a: agent.id })).data, {
      description: 'the ticket service to learn of the agent',
    });
    return id;
  }

  it('emails the agent of an assignment and the customer of a public answer, never of an internal note', async () => {
    const customer = await register(stack, 'Ada');
    const ticketId = await assignedTicket(customer, 'Monitor flickers');

    const assignment = await stack.mail.waitForMail(
      (mail) => mail.to.includes(agent.email) && mail.subject.includes('Monitor flickers'),
      'the assignment email to the agent',
    );
    expect(assignment.text).toContain('The ticket of Ada is now yours.');
    expect(assignment.html).toContain('Monitor flickers');

    dataOf(await agent.query(COMMENT, { t: ticketId, b: 'Checking the cable.', i: true }));
    dataOf(await agent.query(COMMENT, { t: ticketId, b: 'Please try another cable.', i: false }));

    await stack.mail.waitForMail(
      (mail) => mail.to.includes(customer.email) && /repl|comment|answer/i.test(mail.subject),
      'the email about the public answer to the customer',
    );
    const commentMails = stack.mail
      .mailsTo(customer.email)
      .filter((mail) => /repl|comment|answer/i.test(mail.subject));
    expect(commentMails).toHaveLength(1);
    const inApp = (await notificationsOf(customer)).filter(
      (n) => n.type === 'ticket.commented' && n.channel === 'IN_APP',
    );
    expect(inApp).toHaveLength(1);
  });

  it('holds a non-critical email during quiet hours and sends it when they end', async () => {
    const customer = await register(stack, 'Quinn');
    const ticketId = await assignedTicket(customer, 'Keyboard sticks');
    const zone = 'Europe/Paris';
    const now = Date.now();
    dataOf(
      await customer.query(
        `mutation($input: UpdateNotificationPreferencesInput!) {
          updateNotificationPreferences(input: $input) { quietHours { start end } }
        }`,
        {
          input: {
            quietHours: {
              start: wallClock(new Date(now - 60 * MINUTE_MS), zone),
              end: wallClock(new Date(now + 60 * MINUTE_MS), zone),
            },
          },
        },
      ),
    );

    dataOf(await agent.query(COMMENT, { t: ticketId, b: 'Try the spare one.', i: false }));

    const held = await notificationArrives(customer, 'ticket.commented', 'EMAIL');
    expect(held.status).toBe('PENDING');
    const releaseAt = new Date(held.deliverAfter!).getTime();
    expect(releaseAt).toBeGreaterThan(now + 55 * MINUTE_MS);
    expect(await notificationArrives(customer, 'ticket.commented', 'IN_APP')).toMatchObject({
      status: 'SENT',
    });
    expect(
      stack.mail.mailsTo(customer.email).filter((m) => /repl|comment|answer/i.test(m.subject)),
    ).toHaveLength(0);

    stack.clocks.notification.travelTo(new Date(releaseAt + 1000));

    await stack.mail.waitForMail(
      (mail) => mail.to.includes(customer.email) && /repl|comment|answer/i.test(mail.subject),
      'the held email once quiet hours end',
    );
    // The SENT mark follows the SMTP server's acceptance, in a transaction of its own.
    const sent = await notificationArrives(
      customer,
      'ticket.commented',
      'EMAIL',
      (n) => n.status === 'SENT',
    );
    expect(sent.id).toBe(held.id);
  });

  it('sends everything once after the notification service was down while events happened', async () => {
    const customer = await register(stack, 'Rosa');
    const { id: ticketId } = await createTicket(customer, { title: 'Scanner offline' });
    await notificationArrives(customer, 'ticket.created', 'IN_APP');

    await stack.stopSubgraph('notification');
    dataOf(await admin.query(ASSIGN, { t: ticketId, a: agent.id }));
    dataOf(await agent.query(COMMENT, { t: ticketId, b: 'Restarting it now.', i: false }));
    await stack.restartSubgraph('notification');

    await notificationArrives(customer, 'ticket.commented', 'EMAIL', (n) => n.status === 'SENT');
    await notificationArrives(customer, 'ticket.assigned', 'EMAIL', (n) => n.status === 'SENT');
    const agentMails = stack.mail
      .mailsTo(agent.email)
      .filter((mail) => mail.subject.includes('Scanner offline'));
    expect(agentMails).toHaveLength(1);
    const customerMails = stack.mail
      .mailsTo(customer.email)
      .filter((mail) => !/welcome/i.test(mail.subject));
    const byType = (await notificationsOf(customer)).filter((n) => n.channel === 'EMAIL');
    expect(customerMails).toHaveLength(byType.filter((n) => n.type !== 'user.registered').length);
    expect(new Set(byType.map((n) => n.type)).size).toBe(byType.length);
  });
});
