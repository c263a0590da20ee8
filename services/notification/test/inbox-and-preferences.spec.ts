import { anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import {
  ALL_NOTIFICATIONS,
  MARK_ALL_READ,
  MARK_READ,
  NotificationConnectionView,
  NotificationView,
  PREFERENCES,
  UNREAD_COUNT,
  UPDATE_PREFERENCES,
  aKnownTicket,
  deliver,
  myNotifications,
} from './builders';
import {
  NotificationServiceFixture,
  Person,
  startNotificationService,
} from './notification-service.fixture';

describe('notification service: the in-app inbox', () => {
  let service: NotificationServiceFixture;
  let customer: Person;
  let other: Person;

  beforeAll(async () => {
    service = await startNotificationService();
    customer = await service.registerPerson('CUSTOMER');
    other = await service.registerPerson('CUSTOMER');
    for (let i = 0; i < 3; i += 1) await aKnownTicket(service, customer);
  });

  afterAll(() => service?.close());

  const unreadCount = async (person: Person) =>
    dataOf(
      await service.instance.query<{ unreadNotificationCount: number }>(
        UNREAD_COUNT,
        {},
        person.identity,
      ),
    ).unreadNotificationCount;

  it('lists the caller’s own notifications newest first, page by page', async () => {
    const first = await myNotifications(service, customer.identity, {
      channel: 'IN_APP',
      first: 2,
    });
    expect(first.edges).toHaveLength(2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await myNotifications(service, customer.identity, {
      channel: 'IN_APP',
      first: 10,
      after: first.pageInfo.endCursor,
    });
    const all = [...first.edges, ...rest.edges].map((edge) => edge.node);
    // Three ticket confirmations and the welcome, all in the app and all the caller's.
    expect(all.map((n) => n.type)).toEqual([
      'ticket.created',
      'ticket.created',
      'ticket.created',
      'user.registered',
    ]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(all.every((n) => n.recipient.id === customer.userId && n.channel === 'IN_APP')).toBe(
      true,
    );
    const created = all.map((n) => Date.parse(n.createdAt));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(all[0]).toMatchObject({ status: 'SENT', category: 'TICKET_UPDATES', readAt: null });
  });

  it('filters by channel', async () => {
    const emails = await myNotifications(service, customer.identity, { channel: 'EMAIL' });
    expect(emails.edges.length).toBe(4);
    expect(emails.edges.every((e) => e.node.channel === 'EMAIL')).toBe(true);
  });

  it('counts unread in-app notifications, and marks one read for its owner only', async () => {
    expect(await unreadCount(customer)).toBe(4);
    const [newest] = (await myNotifications(service, customer.identity, { channel: 'IN_APP' }))
      .edges;

    const stranger = await service.instance.query(
      MARK_READ,
      { id: newest.node.id },
      other.identity,
    );
    expect(errorOf(stranger)).toMatchObject({ code: 'NOT_FOUND' });
    expect(await unreadCount(customer)).toBe(4);

    const marked = dataOf(
      await service.instance.query<{ markNotificationRead: NotificationView }>(
        MARK_READ,
        { id: newest.node.id },
        customer.identity,
      ),
    ).markNotificationRead;
    expect(marked.readAt).not.toBeNull();
    expect(await unreadCount(customer)).toBe(3);
    const unread = await myNotifications(service, customer.identity, {
      channel: 'IN_APP',
      unreadOnly: true,
    });
    expect(unread.edges.map((e) => e.node.id)).not.toContain(newest.node.id);
    expect(unread.edges).toHaveLength(3);
  });

  it('refuses an id that is not one', async () => {
    const response = await service.instance.query(MARK_READ, { id: 'nope' }, customer.identity);
    expect(errorOf(response)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('marks everything read at once and says how many', async () => {
    const response = await service.instance.query<{ markAllNotificationsRead: number }>(
      MARK_ALL_READ,
      {},
      customer.identity,
    );
    expect(dataOf(response).markAllNotificationsRead).toBe(3);
    expect(await unreadCount(customer)).toBe(0);
    // Emails are not part of the inbox's read/unread: nothing unread is left on any channel.
    expect((await myNotifications(service, customer.identity, { unreadOnly: true })).edges).toEqual(
      [],
    );
    expect(await unreadCount(other)).toBe(1);
  });

  it('requires a signed-in caller', async () => {
    expect(errorOf(await service.instance.query(UNREAD_COUNT))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('lets only admins list anyone’s notifications', async () => {
    const query = (viewer = anIdentity('ADMIN')) =>
      service.instance.query<{ notifications: NotificationConnectionView }>(
        ALL_NOTIFICATIONS,
        { filter: { recipientId: other.userId, channel: 'EMAIL' } },
        viewer,
      );
    const listed = dataOf(await query()).notifications;
    expect(listed.edges.map((e) => [e.node.recipient.id, e.node.type])).toEqual([
      [other.userId, 'user.registered'],
    ]);
    expect(errorOf(await query(customer.identity))).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorOf(await query(anIdentity('AGENT')))).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('notification service: preferences', () => {
  let service: NotificationServiceFixture;

  beforeAll(async () => {
    service = await startNotificationService();
  });

  afterAll(() => service?.close());

  interface PreferencesView {
    categories: Array<{ category: string; email: boolean; inApp: boolean; emailOptional: boolean }>;
    quietHours: { start: string; end: string } | null;
    timeZone: string | null;
  }

  const preferencesOf = async (person: Person) =>
    dataOf(
      await service.instance.query<{ notificationPreferences: PreferencesView }>(
        PREFERENCES,
        {},
        person.identity,
      ),
    ).notificationPreferences;
  const update = (person: Person, input: Record<string, unknown>) =>
    service.instance.query<{ updateNotificationPreferences: PreferencesView }>(
      UPDATE_PREFERENCES,
      { input },
      person.identity,
    );
  const preferenceRows = async () =>
    Number(
      (await service.db.query<{ count: string }>('SELECT count(*) FROM notification.preferences'))
        .rows[0].count,
    );

  it('has everything on and no quiet hours by default, in the person’s zone', async () => {
    const person = await service.registerPerson('CUSTOMER', { timeZone: 'Asia/Tokyo' });
    const preferences = await preferencesOf(person);
    expect(preferences.quietHours).toBeNull();
    expect(preferences.timeZone).toBe('Asia/Tokyo');
    expect(preferences.categories).toHaveLength(7);
    expect(preferences.categories.every((c) => c.email && c.inApp)).toBe(true);
    expect(preferences.categories.find((c) => c.category === 'SECURITY')).toMatchObject({
      emailOptional: false,
    });
  });

  it('honours an opt-out per category and channel', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const updated = dataOf(
      await update(person, {
        categories: [{ category: 'TICKET_UPDATES', email: false }],
        quietHours: { start: '22:00', end: '07:00' },
      }),
    ).updateNotificationPreferences;
    expect(updated.categories.find((c) => c.category === 'TICKET_UPDATES')).toMatchObject({
      email: false,
      inApp: true,
    });
    expect(updated.quietHours).toEqual({ start: '22:00', end: '07:00' });

    const { created } = await aKnownTicket(service, person);

    expect((await service.notificationsOf(created.id)).map((row) => row.channel)).toEqual([
      'IN_APP',
    ]);
    expect(service.smtp.mailsTo(person.email).map((m) => m.subject)).toEqual([
      'Welcome to Servicedesk',
    ]);
  });

  it('changes only what is given, and clears quiet hours with null', async () => {
    const person = await service.registerPerson('CUSTOMER');
    dataOf(
      await update(person, {
        categories: [{ category: 'SLA', inApp: false }],
        quietHours: { start: '12:00', end: '13:00' },
      }),
    );
    const kept = dataOf(
      await update(person, { categories: [{ category: 'SLA', email: false }] }),
    ).updateNotificationPreferences;
    expect(kept.categories.find((c) => c.category === 'SLA')).toMatchObject({
      email: false,
      inApp: false,
    });
    expect(kept.quietHours).toEqual({ start: '12:00', end: '13:00' });

    const cleared = dataOf(
      await update(person, { quietHours: null }),
    ).updateNotificationPreferences;
    expect(cleared.quietHours).toBeNull();
    expect((await preferencesOf(person)).quietHours).toBeNull();
  });

  it('applies concurrent first changes one after the other, losing neither', async () => {
    const people = await Promise.all(
      Array.from({ length: 5 }, () => service.registerPerson('CUSTOMER')),
    );

    await Promise.all(
      people.flatMap((person) => [
        update(person, { categories: [{ category: 'SLA', email: false }] }),
        update(person, { categories: [{ category: 'REMINDERS', inApp: false }] }),
      ]),
    );

    for (const person of people) {
      const { categories } = await preferencesOf(person);
      expect(categories.find((c) => c.category === 'SLA')).toMatchObject({ email: false });
      expect(categories.find((c) => c.category === 'REMINDERS')).toMatchObject({ inApp: false });
    }
  });

  it('refuses changes by an erased person whose token has not expired yet, and writes nothing', async () => {
    const person = await service.registerPerson('CUSTOMER');
    await deliver(service, 'user.erased', { aggregateId: person.userId, actor: null });

    const refused = await update(person, { quietHours: { start: '22:00', end: '07:00' } });

    expect(errorOf(refused)).toMatchObject({ code: 'FORBIDDEN' });
    const { rows } = await service.db.query(
      'SELECT 1 FROM notification.preferences WHERE user_id = $1',
      [person.userId],
    );
    expect(rows).toEqual([]);
  });

  it('refuses to turn SECURITY emails off, and writes nothing', async () => {
    const person = await service.registerPerson('CUSTOMER');
    const before = await preferenceRows();

    const refused = await update(person, {
      categories: [
        { category: 'ACCOUNT', email: false },
        { category: 'SECURITY', email: false },
      ],
    });

    expect(errorOf(refused)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.categories.1.email',
    });
    expect(await preferenceRows()).toBe(before);
    expect((await preferencesOf(person)).categories.every((c) => c.email)).toBe(true);
  });

  it.each([
    [{ quietHours: { start: '22:00', end: '22:00' } }, 'input.quietHours.end'],
    [{ quietHours: { start: '7:00', end: '08:00' } }, 'input.quietHours.start'],
    [{ quietHours: { start: '07:00', end: '24:00' } }, 'input.quietHours.end'],
    [
      {
        categories: [
          { category: 'SLA', email: false },
          { category: 'SLA', inApp: false },
        ],
      },
      'input.categories.1.category',
    ],
  ])('refuses %j naming %s, and writes nothing', async (input, field) => {
    const person = await service.registerPerson('CUSTOMER');
    const before = await preferenceRows();

    expect(errorOf(await update(person, input))).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await preferenceRows()).toBe(before);
  });
});
