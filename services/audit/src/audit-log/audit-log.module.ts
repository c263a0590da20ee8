import { Module } from '@nestjs/common';
import { PersonalDataModule } from '../personal-data/personal-data.module';
import { AuditEventHandler } from './audit-event.handler';
import { AuditLogResolver } from './audit-log.resolver';
import { AuditLogService } from './audit-log.service';
import { AuditRecorder } from './audit-recorder.service';
import { AuditTrailLoader } from './audit-trail.loader';
import { TicketAuditTrailResolver } from './ticket-audit-trail.resolver';

/** The audit log: recording events into the chain, reading it, verifying it. */
@Module({
  imports: [PersonalDataModule],
  providers: [
    AuditRecorder,
    AuditEventHandler,
    AuditLogService,
    AuditTrailLoader,
    AuditLogResolver,
    TicketAuditTrailResolver,
  ],
  exports: [AuditEventHandler],
})
export class AuditLogModule {}
