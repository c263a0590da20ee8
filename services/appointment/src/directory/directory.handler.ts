import { Injectable } from '@nestjs/common';
import { EventEnvelope, isEvent } from '@servicedesk/contracts';
import { EventHandler, Tx } from '@servicedesk/messaging';
import { TicketDirectory } from './ticket-directory.service';
import { UserDirectory } from './user-directory.service';

/** Keeps the known users and tickets in step with their services (see `appointment.subscriptions.ts`). */
@Injectable()
export class DirectoryHandler implements EventHandler {
  constructor(
    private readonly users: UserDirectory,
    private readonly tickets: TicketDirectory,
  ) {}

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    if (isEvent(event, 'user.registered') || isEvent(event, 'user.role_changed')) {
      await this.users.recordRole(
        tx.manager,
        event.payload.userId,
        event.payload.role,
        new Date(event.occurredAt),
      );
    } else if (isEvent(event, 'ticket.created')) {
      await this.tickets.recordTicket(
        tx.manager,
        event.payload.ticketId,
        event.payload.requesterId,
      );
    }
  }
}
