import { Module } from '@nestjs/common';
import { ErasureModule } from '../erasure/erasure.module';
import { UserDirectoryHandler } from './user-directory.handler';
import { UserDirectory } from './user-directory.service';

/** The ticket service's view of users, kept from user events. */
@Module({
  imports: [ErasureModule],
  providers: [UserDirectory, UserDirectoryHandler],
  exports: [UserDirectory, UserDirectoryHandler],
})
export class DirectoryModule {}
