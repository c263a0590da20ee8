import { Args, Query, Resolver } from '@nestjs/graphql';
import { Connection, requireRole } from '@servicedesk/platform';
import { AuditChainVerification } from './audit-chain.verifier';
import { pageRequest, toAuditEntryConnection } from './audit-entry.connection';
import { AuditEntryNode } from './audit-entry.presenter';
import { parseAuditFilter } from './audit-log.input';
import { PersonalDataVault } from '../personal-data/personal-data.vault';
import { AuditLogService } from './audit-log.service';

@Resolver()
export class AuditLogResolver {
  constructor(
    private readonly log: AuditLogService,
    private readonly vault: PersonalDataVault,
  ) {}

  @Query('auditLog')
  async auditLog(
    @Args('filter') filter: unknown,
    @Args('first') first?: number | null,
    @Args('after') after?: string | null,
  ): Promise<Connection<AuditEntryNode>> {
    requireRole('ADMIN');
    const page = pageRequest({ first, after });
    const entries = await this.log.list(parseAuditFilter(filter), page);
    return toAuditEntryConnection(await this.vault.reveal(entries), page.first);
  }

  @Query('verifyAuditChain')
  verifyAuditChain(): Promise<AuditChainVerification> {
    requireRole('ADMIN');
    return this.log.verifyChain();
  }
}
