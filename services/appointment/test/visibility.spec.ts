import { Identity } from '@servicedesk/platform';
import { anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import {
  AppointmentView,
  ConnectionView,
  GET_APPOINTMENT,
  LIST_APPOINTMENTS,
  book,
  setAvailability,
} from './builders';
import { AppointmentServiceFixture, startAppointmentService } from './appointment-service.fixture';

const TICKET_APPOINTMENTS = `query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Ticket { id appointments { id customer { id } } } }
}`;
const USER_APPOINTMENTS = `query($r: [_Any!]!, $status: [AppointmentStatus!], $first: Int) {
  _entities(representations: $r) {
    ... on User { id appointments(status: $status, first: $first) {
      edges { node { id agent { id } customer { id } } } pageInfo { hasNextPage }
    } }
  }
}`;
const APPOINTMENT_ENTITIES = `query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Appointment { id status } }
}`;

describe('appointment service: who sees what', () => {
  let service: AppointmentServiceFixture;
  const alice = anIdentity('CUSTOMER');
  const bob = anIdentity('CUSTOMER');
  const agent = anIdentity('AGENT');
  const colleague = anIdentity('AGENT');
  const admin = anIdentity('ADMIN');
  let alicesAppointment: AppointmentView;
  let bobsAppointment: AppointmentView;
  let ticketId: string;

  beforeAll(async () => {
    service = await startAppointmentService();
    await service.registerUsers(alice, bob, agent, colleague, admin);
    await setAvailability(service, agent);
    await setAvailability(service, colleague);
    ticketId = await service.registerTicket(alice);
    alicesAppointment = await book(service, alice, {
      agentId: agent.userId,
      startsAt: '2031-03-04T09:00:00.000Z',
      ticketId,
    });
    bobsAppointment = await book(service, bob, {
      agentId: colleague.userId,
      startsAt: '2031-03-04T10:00:00.000Z',
    });
  });

  afterAll(() => service?.close());

  const get = (id: string, viewer: Identity) => service.query(GET_APPOINTMENT, { id }, viewer);
  const list = async (viewer: Identity, variables: Record<string, unknown> = {}) =>
    dataOf(
      await service.query<{ appointments: ConnectionView }>(LIST_APPOINTMENTS, variables, viewer),
    ).appointments;
  const ids = (connection: ConnectionView) => connection.edges.map((edge) => edge.node.id);

  it('shows an appointment to its customer, its agent and admins; NOT_FOUND to others', async () => {
    for (const viewer of [alice, agent, admin]) {
      expect(dataOf(await get(alicesAppointment.id, viewer))).toMatchObject({
        appointment: { id: alicesAppointment.id, ticket: { id: ticketId } },
      });
    }
    for (const viewer of [bob, colleague]) {
      expect(errorOf(await get(alicesAppointment.id, viewer)).code).toBe('NOT_FOUND');
    }
  });

  it('lists what each role may see', async () => {
    expect(ids(await list(alice))).toEqual([alicesAppointment.id]);
    expect(ids(await list(colleague))).toEqual([bobsAppointment.id]);
    expect(ids(await list(admin))).toEqual([alicesAppointment.id, bobsAppointment.id]);
    // A filter never widens the scope.
    expect(ids(await list(bob, { filter: { customerId: alice.userId } }))).toEqual([]);
  });

  it('filters by participant, status and time, and pages earliest first', async () => {
    expect(ids(await list(admin, { filter: { agentId: colleague.userId } }))).toEqual([
      bobsAppointment.id,
    ]);
    expect(ids(await list(admin, { filter: { status: ['CANCELLED'] } }))).toEqual([]);
    expect(
      ids(
        await list(admin, {
          filter: { from: '2031-03-04T09:30:00.000Z', to: '2031-03-05T00:00:00.000Z' },
        }),
      ),
    ).toEqual([bobsAppointment.id]);
    const firstPage = await list(admin, { first: 1 });
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const secondPage = await list(admin, { first: 1, after: firstPage.pageInfo.endCursor });
    expect(ids(secondPage)).toEqual([bobsAppointment.id]);
    expect(secondPage.pageInfo.hasNextPage).toBe(false);
  });

  it('resolves Appointment references only for those who may see them', async () => {
    const representations = [alicesAppointment, bobsAppointment].map((a) => ({
      __typename: 'Appointment',
      id: a.id,
    }));
    expect(
      dataOf(await service.query(APPOINTMENT_ENTITIES, { r: representations }, alice)),
    ).toEqual({
      _entities: [{ id: alicesAppointment.id, status: 'CONFIRMED' }, null],
    });
  });

  it('adds the visible appointments to Ticket', async () => {
    const r = [{ __typename: 'Ticket', id: ticketId }];
    expect(dataOf(await service.query(TICKET_APPOINTMENTS, { r }, alice))).toEqual({
      _entities: [
        {
          id: ticketId,
          appointments: [{ id: alicesAppointment.id, customer: { id: alice.userId } }],
        },
      ],
    });
    expect(dataOf(await service.query(TICKET_APPOINTMENTS, { r }, colleague))).toEqual({
      _entities: [{ id: ticketId, appointments: [] }],
    });
  });

  it('adds the visible appointments to User, as agent or customer', async () => {
    const r = [alice, agent, bob].map((u) => ({ __typename: 'User', id: u.userId }));
    const pages = (viewer: Identity) =>
      service
        .query<{ _entities: Array<{ appointments: ConnectionView }> }>(
          USER_APPOINTMENTS,
          { r },
          viewer,
        )
        .then((response) => dataOf(response)._entities.map((user) => ids(user.appointments)));
    expect(await pages(admin)).toEqual([
      [alicesAppointment.id],
      [alicesAppointment.id],
      [bobsAppointment.id],
    ]);
    expect(await pages(alice)).toEqual([[alicesAppointment.id], [alicesAppointment.id], []]);
  });

  describe('batching (no N+1)', () => {
    async function statementsOf(run: () => Promise<unknown>): Promise<number> {
      await service.outboxPublished();
      const before = await service.statementCount();
      await run();
      return (await service.statementCount()) - before;
    }

    it('answers Ticket.appointments of 20 tickets in a bounded number of statements', async () => {
      const tickets: string[] = [];
      for (let i = 0; i < 20; i += 1) tickets.push(await service.registerTicket(alice));
      const r = tickets.map((id) => ({ __typename: 'Ticket', id }));
      const statements = await statementsOf(async () => {
        const response = await service.query<{ _entities: unknown[] }>(
          TICKET_APPOINTMENTS,
          { r },
          admin,
        );
        expect(dataOf(response)._entities).toHaveLength(20);
      });
      // One statement for all the tickets' appointments; 20 would be N+1.
      expect(statements).toBeLessThanOrEqual(2);
    });

    it('answers User.appointments of 20 users in a bounded number of statements', async () => {
      const customers = Array.from({ length: 20 }, () => anIdentity('CUSTOMER'));
      await service.registerUsers(...customers);
      for (const [i, customer] of customers.entries()) {
        const hour = String(9 + (i % 8)).padStart(2, '0');
        const date = `2031-03-${String(10 + Math.floor(i / 8)).padStart(2, '0')}`;
        await book(service, customer, {
          agentId: agent.userId,
          startsAt: `${date}T${hour}:00:00.000Z`,
        });
      }
      const r = customers.map((c) => ({ __typename: 'User', id: c.userId }));
      const statements = await statementsOf(async () => {
        const response = await service.query<{
          _entities: Array<{ appointments: ConnectionView }>;
        }>(USER_APPOINTMENTS, { r, first: 5 }, admin);
        expect(
          dataOf(response)._entities.every((user) => user.appointments.edges.length === 1),
        ).toBe(true);
      });
      expect(statements).toBeLessThanOrEqual(2);
    });
  });
});
