import { randomUUID } from 'node:crypto';
import {
  appointmentScopeOf,
  canSeeAppointment,
  customerMayStillChange,
} from './appointment-access';

const identity = (role: 'CUSTOMER' | 'AGENT' | 'ADMIN') => ({ userId: randomUUID(), role });

describe('appointment access', () => {
  it('scopes customers to their bookings, agents to their calendar and admins to nothing', () => {
    const customer = identity('CUSTOMER');
    const agent = identity('AGENT');
    expect(appointmentScopeOf(customer)).toEqual({ customerId: customer.userId });
    expect(appointmentScopeOf(agent)).toEqual({ agentId: agent.userId });
    expect(appointmentScopeOf(identity('ADMIN'))).toEqual({});
  });

  it('shows an appointment to its customer, its agent and admins only', () => {
    const customer = identity('CUSTOMER');
    const agent = identity('AGENT');
    const appointment = { agentId: agent.userId, customerId: customer.userId };
    expect(canSeeAppointment(customer, appointment)).toBe(true);
    expect(canSeeAppointment(agent, appointment)).toBe(true);
    expect(canSeeAppointment(identity('ADMIN'), appointment)).toBe(true);
    expect(canSeeAppointment(identity('CUSTOMER'), appointment)).toBe(false);
    expect(canSeeAppointment(identity('AGENT'), appointment)).toBe(false);
  });

  it('stops customers changing an appointment within the notice, never staff', () => {
    const startsAt = new Date('2030-01-02T10:00:00.000Z');
    const dayBefore = new Date('2030-01-01T10:00:00.000Z');
    const justUnderADayBefore = new Date('2030-01-01T10:00:00.001Z');
    expect(customerMayStillChange(identity('CUSTOMER'), { startsAt }, dayBefore, 1440)).toBe(true);
    expect(
      customerMayStillChange(identity('CUSTOMER'), { startsAt }, justUnderADayBefore, 1440),
    ).toBe(false);
    expect(customerMayStillChange(identity('AGENT'), { startsAt }, justUnderADayBefore, 1440)).toBe(
      true,
    );
    expect(customerMayStillChange(identity('ADMIN'), { startsAt }, startsAt, 1440)).toBe(true);
  });
});
