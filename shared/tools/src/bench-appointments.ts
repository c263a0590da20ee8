import { randomUUID } from 'node:crypto';
import { Actor, GatewayClient, GraphQLCallError } from './bench-client';
import { runLoad } from './bench-load';
import { pollUntil } from './bench-poll';
import { PhaseFigures, phaseFigures } from './bench-stats';

/**
 * The appointment paths: customers looking for free slots in agents' calendars, and booking
 * them concurrently. Agents are open around the clock with no buffer or notice, so the
 * calendars hold far more slots than a phase can book.
 */

export const SLOT_MINUTES = 30;
const SLOT_SEARCH_DAYS = 7;
const BOOKING_WINDOW_DAYS = 60;
/** Bookings start a day out: no booking is critical or has a reminder due during the run. */
const BOOKING_LEAD_MS = 25 * 3_600_000;
const DAY_MS = 86_400_000;
const MAX_SLOT_READS = 200_000;

const SET_AVAILABILITY = `mutation BenchAvailability($input: SetAvailabilityInput!) {
  setAvailability(input: $input) { updatedAt } }`;
const AVAILABLE_SLOTS = `query BenchSlots($agentId: ID!, $from: DateTime!, $to: DateTime!, $durationMinutes: Int!) {
  availableSlots(agentId: $agentId, from: $from, to: $to, durationMinutes: $durationMinutes) {
    startsAt endsAt } }`;
const BOOK = `mutation BenchBook($input: BookAppointmentInput!, $idempotencyKey: String) {
  bookAppointment(input: $input, idempotencyKey: $idempotencyKey) { id } }`;

export interface TimeSlot {
  startsAt: string;
  endsAt: string;
}

export interface PlannedBooking {
  agentId: string;
  startsAt: string;
}

/** Open every day, all day: the most slots a calendar can offer. */
export const ROUND_THE_CLOCK = {
  timeZone: 'Europe/Paris',
  weeklyHours: Array.from({ length: 7 }, (_, day) => ({
    weekday: day + 1,
    startTime: '00:00',
    endTime: '24:00',
  })),
  bufferMinutes: 0,
  minimumNoticeMinutes: 0,
  bookingWindowDays: BOOKING_WINDOW_DAYS,
};

/** The slots, earliest first, keeping each only if it starts once the last one kept has ended. */
export function nonOverlapping(slots: readonly TimeSlot[]): TimeSlot[] {
  const kept: TimeSlot[] = [];
  let freeFrom = -Infinity;
  for (const slot of [...slots].sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt))) {
    if (Date.parse(slot.startsAt) < freeFrom) continue;
    kept.push(slot);
    freeFrom = Date.parse(slot.endsAt);
  }
  return kept;
}

/**
 * Every agent's slots taken in turn (one of the first agent's, one of the second's, …), so
 * concurrent bookings land in every calendar at once rather than queueing on one.
 */
export function bookingPlan(
  calendars: ReadonlyArray<{ agentId: string; slots: readonly TimeSlot[] }>,
): PlannedBooking[] {
  const plan: PlannedBooking[] = [];
  const longest = Math.max(0, ...calendars.map(({ slots }) => slots.length));
  for (let index = 0; index < longest; index++) {
    for (const { agentId, slots } of calendars) {
      if (index < slots.length) plan.push({ agentId, startsAt: slots[index].startsAt });
    }
  }
  return plan;
}

export function isConflict(error: unknown): boolean {
  return error instanceof GraphQLCallError && error.code === 'CONFLICT';
}

export interface BookingRun {
  figures: PhaseFigures;
  /** Bookings made, each emailed to its customer and its agent. */
  booked: number;
  startedAt: number;
  endedAt: number;
}

export interface AppointmentPhaseOptions {
  api: GatewayClient;
  signal: AbortSignal;
  customers: readonly Actor[];
  agents: readonly Actor[];
  clients: number;
  durationMs: number;
}

export class AppointmentPhases {
  constructor(private readonly options: AppointmentPhaseOptions) {}

  /** Opens every agent's calendar, once the appointment service has heard they are agents. */
  async openCalendars(): Promise<void> {
    const { api, agents, signal } = this.options;
    for (const agent of agents) {
      await pollUntil(
        'the appointment service to accept the agents',
        async () => {
          await api.call(SET_AVAILABILITY, { input: ROUND_THE_CLOCK }, agent.token);
          return true;
        },
        signal,
      );
    }
  }

  /** availableSlots over the next week, each customer asking about one agent. */
  async measureSlots(durationMs: number): Promise<PhaseFigures> {
    const { api, signal, customers, agents, clients } = this.options;
    const result = await runLoad({
      clients,
      durationMs,
      maxOperations: MAX_SLOT_READS,
      signal,
      operation: async (client) => {
        const from = new Date();
        await api.call(
          AVAILABLE_SLOTS,
          {
            agentId: agents[client % agents.length].id,
            from: from.toISOString(),
            to: new Date(from.getTime() + SLOT_SEARCH_DAYS * DAY_MS).toISOString(),
            durationMinutes: SLOT_MINUTES,
          },
          customers[client].token,
        );
      },
    });
    return phaseFigures(clients, result);
  }

  /** Customers booking distinct free slots of every agent at once, until time or slots run out. */
  async measureBookings(): Promise<BookingRun> {
    const { api, signal, customers, clients, durationMs } = this.options;
    const plan = await this.planBookings();
    let next = 0;
    let booked = 0;
    const startedAt = Date.now();
    const result = await runLoad({
      clients,
      durationMs,
      maxOperations: plan.length,
      signal,
      isRejection: isConflict,
      operation: async (client) => {
        const { agentId, startsAt } = plan[next++];
        await api.call(
          BOOK,
          {
            input: { agentId, startsAt, durationMinutes: SLOT_MINUTES },
            idempotencyKey: randomUUID(),
          },
          customers[client].token,
        );
        booked += 1;
      },
    });
    return {
      figures: phaseFigures(clients, result, { countsConflicts: true }),
      booked,
      startedAt,
      endedAt: Date.now(),
    };
  }

  private async planBookings(): Promise<PlannedBooking[]> {
    const { api, agents, customers } = this.options;
    const from = Date.now() + BOOKING_LEAD_MS;
    const to = Date.now() + BOOKING_WINDOW_DAYS * DAY_MS;
    const calendars = [];
    for (const [index, agent] of agents.entries()) {
      const { availableSlots } = await api.call<{ availableSlots: TimeSlot[] }>(
        AVAILABLE_SLOTS,
        {
          agentId: agent.id,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          durationMinutes: SLOT_MINUTES,
        },
        customers[index % customers.length].token,
      );
      calendars.push({ agentId: agent.id, slots: nonOverlapping(availableSlots) });
    }
    return bookingPlan(calendars);
  }
}
