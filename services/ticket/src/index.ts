/** What other packages (the end-to-end stack, tools) use to run the ticket service in-process. */
export { createTicketApp } from './app';
export { loadTicketConfig } from './config';
export type { TicketConfig } from './config';
export { migrateTicketDatabase } from './migrate';
export { TICKET_TEXT_LIMITS as ticketTextLimits } from './tickets/ticket.inputs';
