/**
 * References to entities of other subgraphs: the gateway fetches their own fields from the
 * owner, so resolving one here costs no query.
 */
export interface UserReference {
  __typename: 'User';
  id: string;
}

export interface TicketReference {
  __typename: 'Ticket';
  id: string;
}

export function userReference(id: string): UserReference {
  return { __typename: 'User', id };
}

export function ticketReference(id: string): TicketReference {
  return { __typename: 'Ticket', id };
}
