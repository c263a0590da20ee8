import { Args, Context, Parent, ResolveField, ResolveReference, Resolver } from '@nestjs/graphql';
import { aggregateTypeOf } from '@servicedesk/contracts';
import { Connection, requireRole } from '@servicedesk/platform';
import { pageRequest, toAuditEntryConnection } from './audit-entry.connection';
import { AuditEntryNode } from './audit-entry.presenter';
import { AuditTrailLoader } from './audit-trail.loader';

interface TicketReference {
  id: string;
}

const TICKET_AGGREGATE = aggregateTypeOf('ticket.created');

/** Adds `auditTrail` to the ticket service's `Ticket`. */
@Resolver('Ticket')
export class TicketAuditTrailResolver {
  constructor(private readonly trails: AuditTrailLoader) {}

  @ResolveReference()
  resolveReference(reference: TicketReference): TicketReference {
    return { id: reference.id };
  }

  @ResolveField('auditTrail')
  async auditTrail(
    @Parent() ticket: TicketReference,
    @Context() requestContext: object,
    @Args('first') first?: number | null,
    @Args('after') after?: string | null,
  ): Promise<Connection<AuditEntryNode>> {
    requireRole('AGENT', 'ADMIN');
    const page = pageRequest({ first, after });
    const entries = await this.trails.load(requestContext, {
      aggregateType: TICKET_AGGREGATE,
      aggregateId: ticket.id,
      ...page,
    });
    return toAuditEntryConnection(entries, page.first);
  }
}
