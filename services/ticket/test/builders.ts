import { Identity } from '@servicedesk/platform';
import { dataOf } from '@servicedesk/testing';
import type { TicketServiceFixture } from './ticket-service.fixture';

export const TICKET_FIELDS = `
  id title description status priority tags version slaBreached
  firstResponseDueAt resolutionDueAt firstRespondedAt createdAt updatedAt
  requester { id } assignee { id }
`;

export const CREATE_TICKET = `mutation($input: CreateTicketInput!, $idempotencyKey: String) {
  createTicket(input: $input, idempotencyKey: $idempotencyKey) { ${TICKET_FIELDS} }
}`;
export const GET_TICKET = `query($id: ID!) { ticket(id: $id) { ${TICKET_FIELDS} comments { id body internal author { id } createdAt } } }`;
export const LIST_TICKETS = `query($filter: TicketFilter, $first: Int, $after: String) {
  tickets(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id title status priority tags requester { id } assignee { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const ASSIGN_TICKET = `mutation($ticketId: ID!, $assigneeId: ID!) {
  assignTicket(ticketId: $ticketId, assigneeId: $assigneeId) { ${TICKET_FIELDS} }
}`;
export const CHANGE_STATUS = `mutation($ticketId: ID!, $status: TicketStatus!, $expectedVersion: Int!) {
  changeTicketStatus(ticketId: $ticketId, status: $status, expectedVersion: $expectedVersion) { ${TICKET_FIELDS} }
}`;
export const ADD_COMMENT = `mutation($ticketId: ID!, $body: String!, $internal: Boolean, $idempotencyKey: String) {
  addComment(ticketId: $ticketId, body: $body, internal: $internal, idempotencyKey: $idempotencyKey) {
    id body internal author { id } createdAt
  }
}`;
export const ENTITIES = `query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Ticket { id title comments { id internal body } } }
}`;

export interface TicketView {
  id: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  tags: string[];
  version: number;
  slaBreached: boolean;
  firstResponseDueAt: string;
  resolutionDueAt: string;
  firstRespondedAt: string | null;
  createdAt: string;
  updatedAt: string;
  requester: { id: string };
  assignee: { id: string } | null;
  comments?: CommentView[];
}

export interface CommentView {
  id: string;
  body: string;
  internal: boolean;
  author: { id: string };
  createdAt: string;
}

export interface ConnectionView {
  edges: Array<{
    cursor: string;
    node: Pick<
      TicketView,
      'id' | 'title' | 'status' | 'priority' | 'tags' | 'requester' | 'assignee'
    >;
  }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

let sequence = 0;

/** A valid CreateTicketInput; each call has a distinct title. */
export function aTicketInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  return {
    title: `Cannot reach the VPN #${sequence}`,
    description: 'It drops every hour since the last update.',
    priority: 'NORMAL',
    tags: ['vpn'],
    ...overrides,
  };
}

export async function createTicket(
  service: TicketServiceFixture,
  customer: Identity,
  overrides: Record<string, unknown> = {},
): Promise<TicketView> {
  const response = await service.query<{ createTicket: TicketView }>(
    CREATE_TICKET,
    { input: aTicketInput(overrides) },
    customer,
  );
  return dataOf(response).createTicket;
}

export async function getTicket(
  service: TicketServiceFixture,
  id: string,
  viewer: Identity,
): Promise<TicketView> {
  return dataOf(await service.query<{ ticket: TicketView }>(GET_TICKET, { id }, viewer)).ticket;
}

export async function changeStatus(
  service: TicketServiceFixture,
  ticket: Pick<TicketView, 'id' | 'version'>,
  status: string,
  actor: Identity,
): Promise<TicketView> {
  const response = await service.query<{ changeTicketStatus: TicketView }>(
    CHANGE_STATUS,
    { ticketId: ticket.id, status, expectedVersion: ticket.version },
    actor,
  );
  return dataOf(response).changeTicketStatus;
}

export async function addComment(
  service: TicketServiceFixture,
  ticketId: string,
  author: Identity,
  body: string,
  internal = false,
): Promise<CommentView> {
  const response = await service.query<{ addComment: CommentView }>(
    ADD_COMMENT,
    { ticketId, body, internal },
    author,
  );
  return dataOf(response).addComment;
}
