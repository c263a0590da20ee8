import { INestApplication } from '@nestjs/common';
import { anIdentity, dataOf } from '@servicedesk/testing';
import { ReminderDetector } from '../src/reminders/reminder.detector';
import { AppointmentView, CANCEL, RESCHEDULE, book, setAvailability } from './builders';
import {
  AppointmentServiceFixture,
  MONDAY,
  startAppointmentService,
} from './appointment-service.fixture';

describe('appointment service: reminders', () => {
  let service: AppointmentServiceFixture;
  let detectors: ReminderDetector[];
  const customer = anIdentity('CUSTOMER');
  const agent = anIdentity('AGENT');

  beforeAll(async () => {
    // A small batch, so that a run needs several claims.
    service = await startAppointmentService({ APPOINTMENT_REMINDER_BATCH_SIZE: '2' });
    const replica = await service.startInstance();
    detectors = [service.app, replica.app].map((app: INestApplication) =>
      app.get(ReminderDetector),
    );
    await service.registerUsers(customer, agent);
    await setAvailability(service, agent);
  });

  afterEach(() => service.clock.travelTo(MONDAY));
  afterAll(() => service?.close());

  const reminders = async (appointmentId: string) =>
    (await service.outbox(appointmentId, 'appointment.reminder_due')).map((row) => ({
      startsAt: row.envelope.payload.startsAt,
      offsetMinutes: row.envelope.payload.offsetMinutes,
    }));

  /** Every detector of both replicas, several times over, all at once. */
  const raceDetectors = () =>
    Promise.all([...detectors, ...detectors, ...detectors].map((detector) => detector.detect()));

  const bookAt = (startsAt: string): Promise<AppointmentView> =>
    book(service, customer, { agentId: agent.userId, startsAt });

  it('emits each reminder exactly once while replicas race for them', async () => {
    const booked: AppointmentView[] = [];
    for (const hour of ['09', '10', '11', '12', '13']) {
      booked.push(await bookAt(`2031-03-05T${hour}:00:00.000Z`));
    }
    service.clock.travelTo(new Date('2031-03-05T07:30:00.000Z'));
    await raceDetectors();
    // Only the day-before reminders were due at 07:30.
    for (const appointment of booked) {
      expect(await reminders(appointment.id)).toEqual([
        { startsAt: appointment.startsAt, offsetMinutes: 1440 },
      ]);
    }

    service.clock.travelTo(new Date('2031-03-05T14:00:00.000Z'));
    await raceDetectors();
    await raceDetectors();
    for (const appointment of booked) {
      expect(await reminders(appointment.id)).toEqual([
        { startsAt: appointment.startsAt, offsetMinutes: 1440 },
        { startsAt: appointment.startsAt, offsetMinutes: 60 },
      ]);
    }
    const [row] = await service.outbox(booked[0].id, 'appointment.reminder_due');
    expect(row.envelope).toMatchObject({
      actor: null,
      payload: { appointmentId: booked[0].id, agentId: agent.userId, customerId: customer.userId },
    });
  });

  it('plans no reminder that was already due at booking time', async () => {
    const appointment = await bookAt('2031-03-03T15:00:00.000Z');
    service.clock.travelTo(new Date('2031-03-03T16:00:00.000Z'));
    await raceDetectors();
    expect(await reminders(appointment.id)).toEqual([
      { startsAt: appointment.startsAt, offsetMinutes: 60 },
    ]);
  });

  it('replaces the unsent reminders when an appointment is rescheduled', async () => {
    const appointment = await bookAt('2031-03-06T10:00:00.000Z');
    service.clock.travelTo(new Date('2031-03-05T11:00:00.000Z'));
    await raceDetectors();
    const newStart = '2031-03-07T10:00:00.000Z';
    dataOf(await service.query(RESCHEDULE, { id: appointment.id, startsAt: newStart }, agent));

    service.clock.travelTo(new Date('2031-03-07T09:30:00.000Z'));
    await raceDetectors();
    // The day-before reminder of the old start went out; its one-hour reminder never does.
    expect(await reminders(appointment.id)).toEqual([
      { startsAt: appointment.startsAt, offsetMinutes: 1440 },
      { startsAt: newStart, offsetMinutes: 1440 },
      { startsAt: newStart, offsetMinutes: 60 },
    ]);
  });

  it('drops the reminders of a cancelled appointment', async () => {
    const appointment = await bookAt('2031-03-10T10:00:00.000Z');
    dataOf(
      await service.query(CANCEL, { id: appointment.id, reason: 'Solved by email' }, customer),
    );
    service.clock.travelTo(new Date('2031-03-10T12:00:00.000Z'));
    await raceDetectors();
    expect(await reminders(appointment.id)).toEqual([]);
  });
});
