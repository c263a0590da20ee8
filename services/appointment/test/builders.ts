import { Identity } from '@servicedesk/platform';
import { dataOf } from '@servicedesk/testing';
import type { AppointmentServiceFixture } from './appointment-service.fixture';

export const APPOINTMENT_FIELDS = `
  id status startsAt endsAt notes cancellationReason rescheduleReason version createdAt updatedAt
  agent { id } customer { id } ticket { id }
`;

export const AVAILABILITY_FIELDS = `
  agent { id } timeZone bufferMinutes minimumNoticeMinutes bookingWindowDays updatedAt
  weeklyHours { weekday startTime endTime }
  timeOff { id startsAt endsAt reason }
`;

export const SET_AVAILABILITY = `mutation($input: SetAvailabilityInput!) {
  setAvailability(input: $input) { ${AVAILABILITY_FIELDS} }
}`;
export const GET_AVAILABILITY = `query($agentId: ID!) { availability(agentId: $agentId) { ${AVAILABILITY_FIELDS} } }`;
export const ADD_TIME_OFF = `mutation($input: AddTimeOffInput!) {
  addTimeOff(input: $input) { id startsAt endsAt reason agent { id } }
}`;
export const REMOVE_TIME_OFF = `mutation($id: ID!) { removeTimeOff(id: $id) { id } }`;
export const AVAILABLE_SLOTS = `query($agentId: ID!, $from: DateTime!, $to: DateTime!, $durationMinutes: Int!) {
  availableSlots(agentId: $agentId, from: $from, to: $to, durationMinutes: $durationMinutes) { startsAt endsAt }
}`;
export const BOOK = `mutation($input: BookAppointmentInput!, $idempotencyKey: String) {
  bookAppointment(input: $input, idempotencyKey: $idempotencyKey) { ${APPOINTMENT_FIELDS} }
}`;
export const RESCHEDULE = `mutation($id: ID!, $startsAt: DateTime!, $reason: String, $expectedVersion: Int) {
  rescheduleAppointment(id: $id, startsAt: $startsAt, reason: $reason, expectedVersion: $expectedVersion) { ${APPOINTMENT_FIELDS} }
}`;
export const CANCEL = `mutation($id: ID!, $reason: String!, $expectedVersion: Int) {
  cancelAppointment(id: $id, reason: $reason, expectedVersion: $expectedVersion) { ${APPOINTMENT_FIELDS} }
}`;
export const COMPLETE = `mutation($id: ID!) { completeAppointment(id: $id) { ${APPOINTMENT_FIELDS} } }`;
export const NO_SHOW = `mutation($id: ID!) { markNoShow(id: $id) { ${APPOINTMENT_FIELDS} } }`;
export const GET_APPOINTMENT = `query($id: ID!) { appointment(id: $id) { ${APPOINTMENT_FIELDS} } }`;
export const LIST_APPOINTMENTS = `query($filter: AppointmentFilter, $first: Int, $after: String) {
  appointments(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id status startsAt agent { id } customer { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export interface AppointmentView {
  id: string;
  status: string;
  startsAt: string;
  endsAt: string;
  notes: string | null;
  cancellationReason: string | null;
  rescheduleReason: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  agent: { id: string };
  customer: { id: string };
  ticket: { id: string } | null;
}

export interface ConnectionView {
  edges: Array<{
    cursor: string;
    node: Pick<AppointmentView, 'id' | 'status' | 'startsAt' | 'agent' | 'customer'>;
  }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Monday to Friday 09:00–17:00 UTC, no buffer, no notice, a long window: override what matters. */
export function anAvailabilityInput(overrides: Record<string, unknown> = {}) {
  return {
    timeZone: 'UTC',
    weeklyHours: [1, 2, 3, 4, 5].map((weekday) => ({
      weekday,
      startTime: '09:00',
      endTime: '17:00',
    })),
    bufferMinutes: 0,
    minimumNoticeMinutes: 0,
    bookingWindowDays: 90,
    ...overrides,
  };
}

export async function setAvailability(
  service: AppointmentServiceFixture,
  agent: Identity,
  overrides: Record<string, unknown> = {},
): Promise<void> {
  dataOf(await service.query(SET_AVAILABILITY, { input: anAvailabilityInput(overrides) }, agent));
}

/** Books as `actor`; staff book for `customer`. Fails the test unless it succeeds. */
export async function book(
  service: AppointmentServiceFixture,
  actor: Identity,
  input: { agentId: string; startsAt: string; customerId?: string } & Record<string, unknown>,
): Promise<AppointmentView> {
  const response = await service.query<{ bookAppointment: AppointmentView }>(
    BOOK,
    { input: { durationMinutes: 30, ...input } },
    actor,
  );
  return dataOf(response).bookAppointment;
}

export async function slotStarts(
  service: AppointmentServiceFixture,
  viewer: Identity,
  args: { agentId: string; from: string; to: string; durationMinutes?: number },
): Promise<string[]> {
  const response = await service.query<{
    availableSlots: Array<{ startsAt: string; endsAt: string }>;
  }>(AVAILABLE_SLOTS, { durationMinutes: 30, ...args }, viewer);
  return dataOf(response).availableSlots.map((slot) => slot.startsAt);
}
