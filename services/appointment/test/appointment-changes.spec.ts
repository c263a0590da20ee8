import { Identity } from '@servicedesk/platform';
import { actorOf, anIdentity, dataOf, errorOf } from '@servicedesk/testing';
import {
  AppointmentView,
  CANCEL,
  COMPLETE,
  NO_SHOW,
  RESCHEDULE,
  book,
  setAvailability,
  slotStarts,
} from './builders';
import {
  AppointmentServiceFixture,
  MONDAY,
  startAppointmentService,
} from './appointment-service.fixture';

const HOUR_MS = 3_600_000;

describe('appointment service: rescheduling, cancelling and concluding', () => {
  let service: AppointmentServiceFixture;
  const customer = anIdentity('CUSTOMER');
  const otherCustomer = anIdentity('CUSTOMER');
  const admin = anIdentity('ADMIN');
  const agent = anIdentity('AGENT');
  const colleague = anIdentity('AGENT');
  let day = 0;

  beforeAll(async () => {
    service = await startAppointmentService();
    await service.registerUsers(customer, otherCustomer, admin, agent, colleague);
    await setAvailability(service, agent);
  });

  afterEach(() => service.clock.travelTo(MONDAY));
  afterAll(() => service?.close());

  /** A 60-minute appointment at 10:00 on a weekday of its own (Tuesday 4 March onwards). */
  async function anAppointment(): Promise<AppointmentView> {
    const weekdays = [
      '04',
      '05',
      '06',
      '07',
      '10',
      '11',
      '12',
      '13',
      '14',
      '17',
      '18',
      '19',
      '20',
      '21',
    ];
    const date = weekdays[day++];
    return book(service, customer, {
      agentId: agent.userId,
      startsAt: `2031-03-${date}T10:00:00.000Z`,
      durationMinutes: 60,
      notes: 'about the VPN',
    });
  }

  const reschedule = (actor: Identity, variables: Record<string, unknown>) =>
    service.query<{ rescheduleAppointment: AppointmentView }>(RESCHEDULE, variables, actor);
  const cancel = (actor: Identity, id: string, reason = 'No longer needed') =>
    service.query<{ cancelAppointment: AppointmentView }>(CANCEL, { id, reason }, actor);
  const startsOf = (appointment: AppointmentView) => new Date(appointment.startsAt);

  describe('rescheduleAppointment', () => {
    it('moves the appointment, frees the old slot and emits appointment.rescheduled', async () => {
      const appointment = await anAppointment();
      const startsAt = appointment.startsAt.replace('T10:00', 'T14:00');
      const moved = dataOf(
        await reschedule(customer, { id: appointment.id, startsAt, reason: 'Meeting moved' }),
      ).rescheduleAppointment;
      expect(moved).toMatchObject({
        startsAt,
        endsAt: startsAt.replace('T14:00', 'T15:00'),
        rescheduleReason: 'Meeting moved',
        status: 'CONFIRMED',
        version: 2,
      });
      const [event] = await service.outbox(appointment.id, 'appointment.rescheduled');
      expect(event.envelope).toMatchObject({
        actor: actorOf(customer),
        payload: {
          appointmentId: appointment.id,
          agentId: agent.userId,
          customerId: customer.userId,
          previousStartsAt: appointment.startsAt,
          startsAt,
          endsAt: moved.endsAt,
          reason: 'Meeting moved',
        },
      });
      const date = appointment.startsAt.slice(0, 10);
      const free = await slotStarts(service, customer, {
        agentId: agent.userId,
        from: `${date}T00:00:00.000Z`,
        to: `${date}T23:59:00.000Z`,
        durationMinutes: 60,
      });
      expect(free).toContain(appointment.startsAt);
      expect(free).not.toContain(startsAt);
    });

    it('may move an appointment into its own current slot', async () => {
      const appointment = await anAppointment();
      const startsAt = appointment.startsAt.replace('T10:00', 'T10:30');
      expect(
        dataOf(await reschedule(agent, { id: appointment.id, startsAt })).rescheduleAppointment
          .startsAt,
      ).toBe(startsAt);
    });

    it('validates the new start like a booking', async () => {
      const appointment = await anAppointment();
      const outside = await reschedule(customer, {
        id: appointment.id,
        startsAt: appointment.startsAt.replace('T10:00', 'T18:00'),
      });
      expect(errorOf(outside)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'startsAt' });
      const taken = await book(service, otherCustomer, {
        agentId: agent.userId,
        startsAt: appointment.startsAt.replace('T10:00', 'T15:00'),
      });
      expect(
        errorOf(await reschedule(customer, { id: appointment.id, startsAt: taken.startsAt })).code,
      ).toBe('CONFLICT');
    });

    it('refuses a stale expectedVersion with CONFLICT', async () => {
      const appointment = await anAppointment();
      const startsAt = appointment.startsAt.replace('T10:00', 'T11:00');
      dataOf(await reschedule(agent, { id: appointment.id, startsAt }));
      const stale = await reschedule(agent, {
        id: appointment.id,
        startsAt: appointment.startsAt,
        expectedVersion: 1,
      });
      expect(errorOf(stale).code).toBe('CONFLICT');
    });
  });

  describe('the customer change notice', () => {
    it('forbids customers to reschedule or cancel within it, but not agents or admins', async () => {
      const appointment = await anAppointment();
      service.clock.travelTo(new Date(startsOf(appointment).getTime() - 23 * HOUR_MS));
      const later = appointment.startsAt.replace('T10:00', 'T12:00');

      const moveAttempt = await reschedule(customer, { id: appointment.id, startsAt: later });
      expect(errorOf(moveAttempt).code).toBe('FORBIDDEN');
      expect(errorOf(moveAttempt).message).toMatch(/1440 minutes before the start/);
      expect(errorOf(await cancel(customer, appointment.id)).code).toBe('FORBIDDEN');

      expect(
        dataOf(await reschedule(agent, { id: appointment.id, startsAt: later }))
          .rescheduleAppointment.startsAt,
      ).toBe(later);
      expect(dataOf(await cancel(admin, appointment.id)).cancelAppointment.status).toBe(
        'CANCELLED',
      );
    });

    it('lets customers change an appointment more than the notice ahead', async () => {
      const appointment = await anAppointment();
      service.clock.travelTo(new Date(startsOf(appointment).getTime() - 25 * HOUR_MS));
      expect(dataOf(await cancel(customer, appointment.id)).cancelAppointment.status).toBe(
        'CANCELLED',
      );
    });
  });

  describe('cancelAppointment', () => {
    it('cancels with a reason, frees the slot and emits appointment.cancelled', async () => {
      const appointment = await anAppointment();
      const cancelled = dataOf(
        await cancel(customer, appointment.id, ' Feeling better '),
      ).cancelAppointment;
      expect(cancelled).toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'Feeling better',
        version: 2,
      });
      const [event] = await service.outbox(appointment.id, 'appointment.cancelled');
      expect(event.envelope).toMatchObject({
        actor: actorOf(customer),
        payload: {
          appointmentId: appointment.id,
          agentId: agent.userId,
          customerId: customer.userId,
          startsAt: appointment.startsAt,
          reason: 'Feeling better',
        },
      });
      const again = await book(service, otherCustomer, {
        agentId: agent.userId,
        startsAt: appointment.startsAt,
      });
      expect(again.status).toBe('CONFIRMED');
    });

    it('requires a non-blank reason and a confirmed appointment', async () => {
      const appointment = await anAppointment();
      expect(errorOf(await cancel(customer, appointment.id, '   '))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'reason',
      });
      dataOf(await cancel(customer, appointment.id));
      expect(errorOf(await cancel(customer, appointment.id))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'id',
      });
      expect(await service.outbox(appointment.id, 'appointment.cancelled')).toHaveLength(1);
    });

    it('hides other people’s appointments as NOT_FOUND', async () => {
      const appointment = await anAppointment();
      expect(errorOf(await cancel(otherCustomer, appointment.id)).code).toBe('NOT_FOUND');
      expect(errorOf(await cancel(colleague, appointment.id)).code).toBe('NOT_FOUND');
    });
  });

  describe('completeAppointment and markNoShow', () => {
    it('refuses to conclude an appointment that has not started', async () => {
      const appointment = await anAppointment();
      service.clock.travelTo(new Date(startsOf(appointment).getTime() - 60_000));
      const error = errorOf(await service.query(COMPLETE, { id: appointment.id }, agent));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
      expect(error.message).toMatch(/has not started yet/);
    });

    it('lets the agent complete a started appointment once, emitting appointment.completed', async () => {
      const appointment = await anAppointment();
      service.clock.travelTo(startsOf(appointment));
      const completed = dataOf(
        await service.query<{ completeAppointment: AppointmentView }>(
          COMPLETE,
          { id: appointment.id },
          agent,
        ),
      ).completeAppointment;
      expect(completed).toMatchObject({ status: 'COMPLETED', version: 2 });
      const [event] = await service.outbox(appointment.id, 'appointment.completed');
      expect(event.envelope.payload).toEqual({
        appointmentId: appointment.id,
        agentId: agent.userId,
        customerId: customer.userId,
      });
      expect(errorOf(await service.query(NO_SHOW, { id: appointment.id }, agent))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'id',
      });
    });

    it('lets an admin mark a no-show, emitting appointment.no_show', async () => {
      const appointment = await anAppointment();
      service.clock.travelTo(new Date(startsOf(appointment).getTime() + 15 * 60_000));
      expect(
        dataOf(
          await service.query<{ markNoShow: AppointmentView }>(
            NO_SHOW,
            { id: appointment.id },
            admin,
          ),
        ).markNoShow.status,
      ).toBe('NO_SHOW');
      expect(await service.outbox(appointment.id, 'appointment.no_show')).toHaveLength(1);
    });

    it('is for the appointment’s agent and admins only', async () => {
      const appointment = await anAppointment();
      service.clock.travelTo(startsOf(appointment));
      expect(errorOf(await service.query(COMPLETE, { id: appointment.id }, customer)).code).toBe(
        'FORBIDDEN',
      );
      expect(errorOf(await service.query(NO_SHOW, { id: appointment.id }, colleague)).code).toBe(
        'NOT_FOUND',
      );
    });
  });
});
