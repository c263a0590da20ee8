import { Module } from '@nestjs/common';
import { RecipientDirectory } from './recipient-directory.service';

/** The notification service's view of people and tickets, kept from events. */
@Module({ providers: [RecipientDirectory], exports: [RecipientDirectory] })
export class DirectoryModule {}
