import { Module } from '@nestjs/common';
import { DirectoryHandler } from './directory.handler';
import { TicketDirectory } from './ticket-directory.service';
import { UserDirectory } from './user-directory.service';

/** The appointment service's view of users and tickets, kept from their events. */
@Module({
  providers: [UserDirectory, TicketDirectory, DirectoryHandler],
  exports: [UserDirectory, TicketDirectory, DirectoryHandler],
})
export class DirectoryModule {}
