import { randomUUID } from 'node:crypto';
import { dataOf, errorOf, waitFor } from '@servicedesk/testing';
import { Actor, createTicket, loginAdmin, register, registerAgent } from './actors';
import {
  BOOK,
  BookedAppointment,
  DAY_MS,
  MINUTE_MS,
  everyDay,
  localDate,
  nextOffsetChange,
  setWorkingHours,
  slotsOf,
  wallClock,
} from './calendar';
import { startStack, Stack } from './stack';

const REMINDER_OFFSET_MINUTES = 60;

describe('appointments through the gateway', () => {
  let stack: Stack;
  let admin: Actor;
  let agent: Actor;

  beforeAll(async () => {
    stack = await startStack({
      APPOINTMENT_REMINDER_OFFSETS_MINUTES: String(REMINDER_OFFSET_MINUTES),
    });
    admin = await loginAdmin(stack);
    agent = await registerAgent(stack, admin, 'Grace');
    await setWorkingHours(agent, { bufferMinutes: 15 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    stack.clocks.appointment.travelTo(new Date());
    stack.clocks.notification.travelTo(new Date());
  });

  it('lets a customer book one of the offered slots for their ticket, and tells both parties', async () => {
    const customer = await register(stack, 'Ada');
    const ticket = await createTicket(customer, { title: 'Laptop will not boot' });
    const [slot] = await slotsOf(customer, agent.id, new Date(), new Date(Date.now() + 7 * DAY_MS));

    const booked = await waitFor(
      async () =>
        (
          await customer.query<{ bookAppointment: BookedAppointment }>(BOOK, {
            input: {
              agentId: agent.id,
              startsAt: slot.startsAt,
              durationMinutes: 60,
              ticketId: ticket.id,
            },
            key: randomUUID(),
          })
        ).data?.bookAppointment,
      { description: 'the appointment service to learn of the ticket' },
    );

    expect(booked).toMatchObject({
      status: 'CONFIRMED',
      startsAt: slot.startsAt,
      endsAt: slot.endsAt,
      agent: { id: agent.id, name: 'Grace' },
      customer: { id: customer.id, name: 'Ada' },
      ticket: { id: ticket.id, title: 'Laptop will not boot' },
    });
    const mine = dataOf(
      await customer.query<{ me: { appointments: { edges: Array<{ node: { id: string } }> } } }>(
        `{ me { appointments { edges { node { id } } } } }`,
      ),
    );
    expect(mine.me.appointments.edges.map((e) => e.node.id)).toEqual([booked.id]);
    const onTicket = dataOf(
      await agent.query<{ ticket: { appointments: Array<{ id: string }> } }>(
        `query($id: ID!) { ticket(id: $id) { appointments { id } } }`,
        { id: ticket.id },
      ),
    );
    expect(onTicket.ticket.appointments).toEqual([{ id: booked.id }]);
    const stillFree = await slotsOf(
      customer,
      agent.id,
      new Date(),
      new Date(Date.now() + 7 * DAY_MS),
    );
    expect(stillFree.map((s) => s.startsAt)).not.toContain(slot.startsAt);

    for (const person of [customer, agent]) {
      await stack.mail.waitForMail(
        (mail) => mail.to.includes(person.email) && /booked|confirmed/i.test(mail.subject),
        `the booking email to ${person.email}`,
      );
    }
  });

  it('refuses a start the agent does not offer, naming the field and the reason', async () => {
    const customer = await register(stack, 'Linus');
    const [slot] = await slotsOf(customer, agent.id, new Date(), new Date(Date.now() + 7 * DAY_MS));
    const offGrid = new Date(new Date(slot.startsAt).getTime() + 7 * MINUTE_MS).toISOString();

    const error = errorOf(
      await customer.query(BOOK, {
        input: { agentId: agent.id, startsAt: offGrid, durationMinutes: 60 },
      }),
    );

    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.startsAt' });
    expect(error.message).toMatch(/slot|available|offer/i);
    const mine = dataOf(
      await customer.query<{ me: { appointments: { edges: unknown[] } } }>(
        `{ me { appointments { edges { cursor } } } }`,
      ),
    );
    expect(mine.me.appointments.edges).toEqual([]);
  });

  it('gives exactly one of twenty concurrent overlapping bookings the slot, and CONFLICT to the rest', async () => {
    const customers = await Promise.all(
      ['Ann', 'Bob', 'Cy', 'Di'].map((name) => register(stack, name)),
    );
    const slots = await slotsOf(
      customers[0],
      agent.id,
      new Date(),
      new Date(Date.now() + 7 * DAY_MS),
    );
    const offered = new Set(slots.map((slot) => slot.startsAt));
    const startsFrom = (slot: { startsAt: string }) =>
      [0, 15, 30, 45].map((minutes) =>
        new Date(new Date(slot.startsAt).getTime() + minutes * MINUTE_MS).toISOString(),
      );
    // Four offered starts 15 minutes apart: every two of the hour-long bookings overlap.
    const overlapping = startsFrom(
      slots.find((slot) => startsFrom(slot).every((start) => offered.has(start)))!,
    );

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        customers[i % customers.length].query<{ bookAppointment: BookedAppointment }>(BOOK, {
          input: {
            agentId: agent.id,
            startsAt: overlapping[i % overlapping.length],
            durationMinutes: 60,
          },
          key: randomUUID(),
        }),
      ),
    );

    const successes = responses.filter((r) => r.data?.bookAppointment);
    const conflicts = responses.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT');
    expect(successes).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
  });

  it('offers the same local working hours on both sides of a daylight-saving change', async () => {
    const zone = 'America/New_York';
    const changeDay = nextOffsetChange(zone, new Date());
    const daysAhead = Math.ceil((changeDay.getTime() - Date.now()) / DAY_MS) + 3;
    const dstAgent = await registerAgent(stack, admin, 'Tim');
    await setWorkingHours(dstAgent, {
      timeZone: zone,
      weeklyHours: everyDay('09:00', '12:00'),
      minimumNoticeMinutes: 0,
      bookingWindowDays: daysAhead,
    });

    const slots = await slotsOf(
      dstAgent,
      dstAgent.id,
      new Date(changeDay.getTime() - 1.5 * DAY_MS),
      new Date(changeDay.getTime() + 1.5 * DAY_MS),
    );

    const byDay = new Map<string, string[]>();
    for (const slot of slots) {
      const start = new Date(slot.startsAt);
      const day = localDate(start, zone);
      byDay.set(day, [...(byDay.get(day) ?? []), wallClock(start, zone)]);
      expect(new Date(slot.endsAt).getTime() - start.getTime()).toBe(60 * MINUTE_MS);
    }
    const days = [...byDay.keys()];
    expect(days).toContain(localDate(changeDay, zone));
    for (const day of days) {
      expect(byDay.get(day)).toEqual([
        '09:00',
        '09:15',
        '09:30',
        '09:45',
        '10:00',
        '10:15',
        '10:30',
        '10:45',
        '11:00',
      ]);
    }
    const utcHoursOfNine = new Set(
      slots
        .filter((s) => wallClock(new Date(s.startsAt), zone) === '09:00')
        .map((s) => new Date(s.startsAt).getUTCHours()),
    );
    expect(utcHoursOfNine.size).toBe(2);
  });

  it('delivers a reminder once, at the configured offset before the start', async () => {
    // An agent of its own: moving the clock fires the reminders of every appointment before it.
    const agent = await registerAgent(stack, admin, 'Rita');
    await setWorkingHours(agent, {});
    const customer = await register(stack, 'Mia');
    const slots = await slotsOf(customer, agent.id, new Date(), new Date(Date.now() + 7 * DAY_MS));
    const slot = slots[Math.floor(slots.length / 2)];
    const { bookAppointment: booked } = dataOf(
      await customer.query<{ bookAppointment: BookedAppointment }>(BOOK, {
        input: { agentId: agent.id, startsAt: slot.startsAt, durationMinutes: 60 },
      }),
    );
    const startsAt = new Date(booked.startsAt).getTime();
    const isReminderTo = (email: string) => (mail: { to: string[]; subject: string }) =>
      mail.to.includes(email) && /remind/i.test(mail.subject);

    stack.clocks.appointment.travelTo(
      new Date(startsAt - REMINDER_OFFSET_MINUTES * MINUTE_MS + 5000),
    );

    for (const person of [customer, agent]) {
      await stack.mail.waitForMail(isReminderTo(person.email), `the reminder to ${person.email}`);
    }
    // Once the appointment is over and marked completed, the reminder loop has run many times.
    stack.clocks.appointment.travelTo(new Date(startsAt + 5 * MINUTE_MS));
    dataOf(
      await agent.query(`mutation($id: ID!) { completeAppointment(id: $id) { status } }`, {
        id: booked.id,
      }),
    );
    await waitFor(
      async () => {
        const { myNotifications } = dataOf(
          await customer.query<{ myNotifications: { edges: Array<{ node: { type: string } }> } }>(
            `{ myNotifications(first: 50) { edges { node { type } } } }`,
          ),
        );
        return myNotifications.edges.some((e) => e.node.type === 'appointment.completed');
      },
      { description: 'the completion to reach the customer' },
    );
    expect(stack.mail.mails.filter(isReminderTo(customer.email))).toHaveLength(1);
    expect(stack.mail.mails.filter(isReminderTo(agent.email))).toHaveLength(1);
  });
});
