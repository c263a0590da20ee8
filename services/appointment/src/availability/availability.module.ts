import { Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module';
import { AvailabilityRepository } from './availability.repository';
import { AvailabilityResolver, TimeOffResolver } from './availability.resolver';
import { AvailabilityService } from './availability.service';

/** Agents' calendar settings and time off. */
@Module({
  imports: [DirectoryModule],
  providers: [AvailabilityRepository, AvailabilityService, AvailabilityResolver, TimeOffResolver],
  exports: [AvailabilityRepository],
})
export class AvailabilityModule {}
