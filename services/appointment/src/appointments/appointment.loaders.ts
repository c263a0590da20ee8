import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { Identity, PerRequest } from '@servicedesk/platform';
import { appointmentScopeOf } from './appointment-access';
import type { Appointment } from './appointment.model';
import { AppointmentPageQuery, AppointmentRepository } from './appointment.repository';

/** A page of the appointments one user takes part in. */
export interface ParticipantPageKey {
  userId: string;
  query: AppointmentPageQuery;
}

/** The batching loaders of one request, seeing what that request's identity may see. */
export interface AppointmentRequestLoaders {
  /** An appointment by id, or null if it does not exist or is not visible to the caller. */
  appointment: DataLoader<string, Appointment | null>;
  /** The visible appointments of a ticket, earliest first. */
  ticketAppointments: DataLoader<string, Appointment[]>;
  /** One page (limit + 1 rows) of appointments per participant. */
  participantPages: DataLoader<ParticipantPageKey, Appointment[], string>;
}

const queryKey = ({ query }: ParticipantPageKey) => JSON.stringify(query);
const cacheKey = (key: ParticipantPageKey) => `${queryKey(key)}:${key.userId}`;

/**
 * Hands out loaders per request so that every appointment, ticket list and participant page
 * a GraphQL operation needs is fetched in one statement per kind, whatever path (queries,
 * `_entities`, `User.appointments`, `Ticket.appointments`) asks for it. Loaders are keyed on
 * the request context the platform opens for each request and die with it.
 */
@Injectable()
export class AppointmentLoaders {
  private readonly perRequest = new PerRequest<AppointmentRequestLoaders>((identity) =>
    this.create(identity),
  );

  constructor(private readonly repository: AppointmentRepository) {}

  forCurrentRequest(): AppointmentRequestLoaders {
    return this.perRequest.current();
  }

  private create(identity: Identity): AppointmentRequestLoaders {
    const scope = appointmentScopeOf(identity);
    return {
      appointment: new DataLoader(async (ids) => {
        const found = new Map((await this.repository.findMany(ids, scope)).map((a) => [a.id, a]));
        return ids.map((id) => found.get(id) ?? null);
      }),
      ticketAppointments: new DataLoader(async (ticketIds) => {
        const byTicket = new Map<string, Appointment[]>(ticketIds.map((id) => [id, []]));
        for (const appointment of await this.repository.findByTickets(ticketIds, scope)) {
          if (appointment.ticketId) byTicket.get(appointment.ticketId)?.push(appointment);
        }
        return ticketIds.map((id) => byTicket.get(id) ?? []);
      }),
      participantPages: new DataLoader(
        async (keys) => {
          const groups = new Map<string, ParticipantPageKey[]>();
          for (const key of keys)
            groups.set(queryKey(key), [...(groups.get(queryKey(key)) ?? []), key]);
          const pages = new Map<string, Appointment[]>();
          for (const members of groups.values()) {
            const userIds = [...new Set(members.map((member) => member.userId))];
            const byUser = await this.repository.findPagesByParticipant(userIds, members[0].query);
            for (const member of members)
              pages.set(cacheKey(member), byUser.get(member.userId) ?? []);
          }
          return keys.map((key) => pages.get(cacheKey(key)) ?? []);
        },
        { cacheKeyFn: cacheKey },
      ),
    };
  }
}
